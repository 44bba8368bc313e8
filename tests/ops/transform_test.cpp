// Layout transforms against the index formulas written out here, for every op, element size and
// ISA level, on a grid with tails, ld larger than needed and operands flush against guard pages.
// Output bytes outside the transformed region must keep their sentinel.
#include <cmath>
#include <cstring>
#include <random>
#include <sstream>
#include <tuple>

#include "catch.hpp"
#include "support.hpp"

using tpp::dtype;
using tpp::transform_op;
using tpp_test::guarded;
using tpp_test::isa_scope;
using tpp_test::levels;

namespace {

struct geometry {
  int in_rows, in_cols, out_rows, out_cols;
};
int group(dtype t) { return tpp::size_of(t) == 2 ? 2 : 4; }
geometry geometry_of(const tpp::transform_params& p) {
  const int g = group(p.in.type);
  const auto up = [](int v, int m) { return (v + m - 1) / m * m; };
  switch (p.op) {
    case transform_op::transpose: return {p.rows, p.cols, p.cols, p.rows};
    case transform_op::vnni_pack: return {p.rows, p.cols, p.rows / g, p.cols * g};
    case transform_op::vnni_unpack: return {p.rows / g, p.cols * g, p.rows, p.cols};
    case transform_op::vnni_transpose: return {p.rows, p.cols, p.cols / g, p.rows * g};
    case transform_op::pad: return {p.rows, p.cols, up(p.rows, p.pad_rows), up(p.cols, p.pad_cols)};
  }
  return {};
}

// Where logical element (i, j) lives in the input and in the output (stored row, column).
void places(const tpp::transform_params& p, int i, int j, int& ir, int& ic, int& orow, int& ocol) {
  const int g = group(p.in.type);
  ir = i, ic = j, orow = i, ocol = j;
  switch (p.op) {
    case transform_op::transpose: orow = j; ocol = i; break;
    case transform_op::vnni_pack: orow = i / g; ocol = j * g + i % g; break;
    case transform_op::vnni_unpack: ir = i / g; ic = j * g + i % g; break;
    case transform_op::vnni_transpose: orow = j / g; ocol = i * g + j % g; break;
    case transform_op::pad: break;
  }
}

std::string check(const tpp::transform_params& p, bool flush_end, std::mt19937& rng) {
  const geometry gm = geometry_of(p);
  const int es = tpp::size_of(p.in.type);
  const long ldi = p.in.ld ? p.in.ld : gm.in_cols, ldo = p.out.ld ? p.out.ld : gm.out_cols;
  const std::size_t ib = ((gm.in_rows - 1) * ldi + gm.in_cols) * es, ob = ((gm.out_rows - 1) * ldo + gm.out_cols) * es;
  guarded in(ib, flush_end), out(ob, flush_end);
  for (std::size_t k = 0; k < ib; ++k) in.as<unsigned char>()[k] = static_cast<unsigned char>(rng());
  std::memset(out.data(), 0xA5, ob);
  const tpp::transform_kernel t = tpp::transform(p);
  t(in.data(), out.data());
  std::vector<char> written(ob, 0);
  for (int i = 0; i < p.rows; ++i)
    for (int j = 0; j < p.cols; ++j) {
      int ir, ic, orow, ocol;
      places(p, i, j, ir, ic, orow, ocol);
      const long src = (ir * ldi + ic) * es, dst = (orow * ldo + ocol) * es;
      if (std::memcmp(in.as<char>() + src, out.as<char>() + dst, es) != 0) {
        std::ostringstream s;
        s << name(p.op) << " " << name(p.in.type) << " " << p.rows << "x" << p.cols << " element (" << i << ", " << j
          << ") level=" << name(tpp::active_isa());
        return s.str();
      }
      std::memset(written.data() + dst, 1, es);
    }
  for (int r = 0; r < gm.out_rows; ++r)  // pad: the rest of the padded shape is zero
    for (int c = 0; c < gm.out_cols; ++c) {
      const long dst = (r * ldo + c) * es;
      if (written[dst]) continue;
      const bool padded = p.op == transform_op::pad;
      for (int b = 0; b < es; ++b) {
        const unsigned char v = out.as<unsigned char>()[dst + b];
        if (padded ? v != 0 : v != 0xA5) return std::string(name(p.op)) + ": byte outside the elements changed";
        written[dst + b] = 1;
      }
    }
  for (std::size_t k = 0; k < ob; ++k)
    if (!written[k] && out.as<unsigned char>()[k] != 0xA5) return std::string(name(p.op)) + ": padding between rows written";
  return "";
}

}  // namespace

TEST_CASE("transforms match their index formulas on a grid with tails", "[transform]") {
  std::mt19937 rng(31);
  const int dims[] = {1, 4, 7, 8, 9, 16, 17, 33, 50};
  int n = 0;
  for (transform_op op : {transform_op::transpose, transform_op::vnni_pack, transform_op::vnni_unpack,
                          transform_op::vnni_transpose, transform_op::pad})
    for (dtype t : {dtype::f32, dtype::bf16, dtype::i8})
      for (int r : dims)
        for (int c : dims) {
          const bool vnni = op == transform_op::vnni_pack || op == transform_op::vnni_unpack || op == transform_op::vnni_transpose;
          if (vnni && t == dtype::f32) continue;
          tpp::transform_params p;
          p.op = op;
          p.rows = r;
          p.cols = c;
          p.in.type = p.out.type = t;
          const int g = group(t);
          if (vnni) {  // round the grouped dimension up to the group
            if (op == transform_op::vnni_transpose) p.cols = (c + g - 1) / g * g;
            else p.rows = (r + g - 1) / g * g;
          }
          if (op == transform_op::pad) {
            p.pad_rows = 1 + (r % 5);
            p.pad_cols = 8;
          }
          ++n;
          const geometry gm = geometry_of(p);
          if (n % 3 == 0) {  // lds past the row that split VNNI groups
            p.in.ld = gm.in_cols + 3;
            p.out.ld = gm.out_cols + 5;
          } else if (n % 3 == 1) {  // lds past the row in whole groups
            p.in.ld = gm.in_cols + 2 * g;
            p.out.ld = gm.out_cols + 3 * g;
          }
          // VNNI transpose is the 32-bit transpose of whole groups where both lds hold whole groups
          const bool whole_groups = op == transform_op::vnni_transpose && (p.in.ld ? p.in.ld : gm.in_cols) % g == 0 &&
                                    (p.out.ld ? p.out.ld : gm.out_cols) % g == 0;
          for (tpp::isa level : levels()) {
            isa_scope cap(level);
            const bool jit = op == transform_op::transpose ||  // 32-, 16- and 8-bit
                             op == transform_op::vnni_pack || op == transform_op::vnni_unpack ||  // pairs, quads
                             op == transform_op::pad || whole_groups;
            const bool neon_jit = op == transform_op::transpose ||  // 4x4 (32-bit) and 8x8 NEON blocks
                                  (op == transform_op::vnni_pack && tpp::size_of(t) == 2) || whole_groups;
            REQUIRE(tpp::transform(p).jitted() == (tpp_test::x86_jit(level) ? jit : tpp::is_arm(level) && neon_jit));
            for (bool flush_end : {true, false}) {
              const std::string why = check(p, flush_end, rng);
              if (!why.empty()) FAIL_CHECK(why << (flush_end ? " guard after" : " guard before"));
            }
          }
        }
}

// Rows long enough for the x86 loops: pad moves runs of >= 256 bytes 128 a step, VNNI pack and
// unpack several 32-byte column blocks per row, each with a tail (and lds past the row)
TEST_CASE("transforms over long rows", "[transform]") {
  std::mt19937 rng(37);
  // p with lds ld_pad past its rows, against the reference at every level
  const auto run = [&](tpp::transform_params p, int ld_pad, bool neon_jit) {
    const geometry gm = geometry_of(p);
    if (ld_pad) {
      p.in.ld = gm.in_cols + ld_pad;
      p.out.ld = gm.out_cols + ld_pad;
    }
    for (tpp::isa level : levels()) {
      isa_scope cap(level);
      REQUIRE(tpp::transform(p).jitted() == (tpp_test::x86_jit(level) || (tpp::is_arm(level) && neon_jit)));
      for (bool flush_end : {true, false}) {
        const std::string why = check(p, flush_end, rng);
        if (!why.empty()) FAIL_CHECK(why << " cols " << p.cols << " pad_cols " << p.pad_cols);
      }
    }
  };
  for (dtype t : {dtype::f32, dtype::bf16, dtype::i8})
    for (int cols : {64, 100, 301})
      for (int ld_pad : {0, 5}) {
        tpp::transform_params p;
        p.cols = cols;
        p.in.type = p.out.type = t;
        p.op = transform_op::pad;
        p.rows = 5;
        p.pad_rows = 4;
        for (int pad_cols : {1, 64}) {
          p.pad_cols = pad_cols;
          run(p, ld_pad, false);
        }
        if (t == dtype::f32) continue;  // VNNI groups 16- and 8-bit values
        p.rows = 2 * group(t);
        for (transform_op op : {transform_op::vnni_pack, transform_op::vnni_unpack}) {
          p.op = op;
          run(p, ld_pad, op == transform_op::vnni_pack && tpp::size_of(t) == 2);
        }
      }
}

// The x86 32-bit transpose stages whole 16 x 16 blocks through the stack only where a block's
// rows alias in L1 (row strides of a multiple of 2 KiB, in or out; transpose_generator::staged);
// the grids above run the plain blocks. These shapes run staged blocks next to tail blocks.
TEST_CASE("transpose with row strides that alias in L1", "[transform]") {
  std::mt19937 rng(33);
  for (auto [rows, cols, ldi, ldo] : {std::tuple{33, 40, 512, 0}, std::tuple{17, 50, 0, 1024},
                                      std::tuple{48, 32, 1024, 512}, std::tuple{16, 16, 2048, 0}}) {
    tpp::transform_params p;
    p.op = transform_op::transpose;
    p.rows = rows;
    p.cols = cols;
    p.in = {dtype::f32, ldi};
    p.out = {dtype::f32, ldo};
    for (tpp::isa level : levels()) {
      isa_scope cap(level);
      for (bool flush_end : {true, false}) {
        const std::string why = check(p, flush_end, rng);
        INFO(rows << " x " << cols << ", ld " << ldi << " / " << ldo << " at " << tpp::name(level));
        CHECK(why.empty());
      }
    }
  }
}

// Off Intel, the x86 transpose sweeps whole blocks in super-blocks (transpose_generator::
// super_blocks: 4 x 4 blocks for 16-bit, 1 x 2 for 32- and 8-bit) where in + out outgrow the
// private L2 but fit the cache one core can count on. These shapes are sized from the L2 so they
// take that path, with block rows and panels left over (rows / 16 not a multiple of 4, cols / 16
// odd), tails past them, lds past the rows, and row strides that alias in L1.
TEST_CASE("transpose in super-blocks, with block rows and panels left over", "[transform]") {
  std::mt19937 rng(35);
  const double l2 = static_cast<double>(tpp::detail::caches().private_bytes);
  for (dtype t : {dtype::f32, dtype::bf16, dtype::i8}) {
    const int es = tpp::size_of(t);
    const int n = (static_cast<int>(std::sqrt(l2 / (2 * es))) / 64 + 1) * 64;  // 2 n^2 es > L2
    for (auto [rows, cols, ldi, ldo] : {std::tuple{n + 7, n + 25, 0, 0}, std::tuple{n + 48, n + 16, n + 19, n + 53},
                                        std::tuple{n + 16, n + 23, 4096 / es, 0}}) {
      tpp::transform_params p;
      p.op = transform_op::transpose;
      p.rows = rows;
      p.cols = cols;
      p.in = {t, ldi};
      p.out = {t, ldo};
      for (tpp::isa level : levels()) {
        isa_scope cap(level);
        const std::string why = check(p, (rows + cols) % 2 == 0, rng);
        INFO(name(t) << " " << rows << " x " << cols << ", ld " << ldi << " / " << ldo << " at " << tpp::name(level));
        CHECK(why.empty());
      }
    }
  }
}

TEST_CASE("transform: bad params throw tpp::error", "[transform][errors]") {
  const auto bad = [](tpp::transform_params p) { REQUIRE_THROWS_AS(tpp::transform(p), tpp::error); };
  tpp::transform_params p;
  p.rows = 4;
  p.cols = 6;
  p.in.type = p.out.type = dtype::bf16;
  p.op = transform_op::vnni_pack;
  p.rows = 5;  // not a multiple of the bf16 pair
  bad(p);
  p.rows = 4;
  p.out.type = dtype::f32;  // type change
  bad(p);
  p.in.type = p.out.type = dtype::f32;  // VNNI of 32-bit
  bad(p);
  p.op = transform_op::transpose;
  p.in.ld = 5;  // < cols
  bad(p);
  p.in.ld = 0;
  p.out.ld = 3;  // out is 6 x 4: ld >= 4
  bad(p);
  p.out.ld = 0;
  p.rows = 0;
  bad(p);
  p.rows = 4;
  p.in.type = p.out.type = dtype::bit;
  bad(p);
  p.in.type = p.out.type = dtype::f32;
  p.op = transform_op::pad;
  p.pad_rows = 0;
  bad(p);
  p.pad_rows = 1;
  REQUIRE_THROWS_AS(tpp::transform(p)(nullptr, nullptr), tpp::error);
  REQUIRE_THROWS_AS(tpp::transform_kernel()(&p, &p), tpp::error);
}
