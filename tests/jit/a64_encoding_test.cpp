// The A64 assembler against GNU as, byte for byte: every instruction form the assembler has, with
// seeded random registers, immediates, lanes and branch distances, is written both ways (our
// encoding, and its GNU spelling from the assembler's listing), the listing is assembled with
// aarch64-linux-gnu-as, and the two .text sections must be identical.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "catch.hpp"
#include "tpp/jit/a64/assembler.hpp"

namespace a64 = tpp::jit::a64;

namespace {

std::vector<std::uint32_t> gnu_as(const std::string& listing, std::string& err) {
  const std::string dir = "/tmp/tpp_a64_" + std::to_string(getpid());
  std::system(("mkdir -p " + dir).c_str());
  std::ofstream(dir + "/t.s") << "  .text\n" << listing;
  const std::string cmd = "aarch64-linux-gnu-as -march=armv8.2-a+bf16 " + dir + "/t.s -o " + dir + "/t.o 2>" + dir +
                          "/err && aarch64-linux-gnu-objcopy -O binary -j .text " + dir + "/t.o " + dir + "/t.bin";
  if (std::system(cmd.c_str()) != 0) {
    std::ifstream e(dir + "/err");
    std::stringstream ss;
    ss << e.rdbuf();
    err = "GNU as failed: " + ss.str();
    return {};
  }
  std::ifstream f(dir + "/t.bin", std::ios::binary);
  std::vector<std::uint32_t> w;
  std::uint32_t x;
  while (f.read(reinterpret_cast<char*>(&x), 4)) w.push_back(x);
  std::system(("rm -rf " + dir).c_str());
  return w;
}

}  // namespace

TEST_CASE("A64 assembler encodings equal GNU as", "[a64]") {
  std::mt19937 rng(91);
  const auto r = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const auto X = [&] { return a64::x(r(31)); };        // x0..x30
  const auto V = [&] { return a64::v(r(32)); };
  a64::assembler a;
  std::string listing;
  a.set_listing(&listing);
  using idx = a64::assembler::index;
  std::vector<std::function<void()>> forms = {
      [&] { a.add(X(), r(2) ? X() : a64::sp, static_cast<std::uint32_t>(r(4096))); },
      [&] { a.add(X(), X(), static_cast<std::uint32_t>(r(4095) + 1) << 12); },
      [&] { a.sub(X(), r(2) ? X() : a64::sp, static_cast<std::uint32_t>(r(4096))); },
      [&] { a.subs(r(2) ? X() : a64::xzr, X(), static_cast<std::uint32_t>(r(4096))); },
      [&] { a.add(X(), X(), X(), r(64)); },
      [&] { a.sub(X(), X(), X(), r(64)); },
      [&] { a.movz(X(), static_cast<std::uint32_t>(r(65536)), r(4)); },
      [&] { a.movk(X(), static_cast<std::uint32_t>(r(65536)), r(4)); },
      [&] { a.ldr(X(), r(2) ? X() : a64::sp, static_cast<std::uint32_t>(8 * r(4096))); },
      [&] { a.str(X(), X(), static_cast<std::uint32_t>(8 * r(4096))); },
      [&] { a.ldr_q(V(), X(), static_cast<std::uint32_t>(16 * r(4096))); },
      [&] { a.str_q(V(), X(), static_cast<std::uint32_t>(16 * r(4096))); },
      [&] { a.ldr_s(V(), X(), static_cast<std::uint32_t>(4 * r(4096))); },
      [&] { a.str_s(V(), X(), static_cast<std::uint32_t>(4 * r(4096))); },
      [&] { a.ldr_d(V(), X(), static_cast<std::uint32_t>(8 * r(4096))); },
      [&] { a.str_d(V(), X(), static_cast<std::uint32_t>(8 * r(4096))); },
      [&] { a.ldr_h(V(), X(), static_cast<std::uint32_t>(2 * r(4096))); },
      [&] { a.str_h(V(), r(2) ? X() : a64::sp, static_cast<std::uint32_t>(2 * r(4096))); },
      [&] { const int t = r(31); a.ldr_post(a64::x(t), r(2) ? a64::x((t + 1 + r(29)) % 31) : a64::sp, r(512) - 256); },  // t != n: writeback into the loaded register is UNPREDICTABLE
      [&] { a.ldr_q_post(V(), X(), r(512) - 256); },
      [&] { a.ldr_d_post(V(), X(), r(512) - 256); },
      [&] { a.ld1_lane(V(), r(4), 4, X()); }, [&] { a.ld1_lane(V(), r(8), 2, X()); },
      [&] { a.st1_lane(V(), r(4), 4, X()); }, [&] { a.st1_lane(V(), r(8), 2, r(2) ? X() : a64::sp); },
      [&] { a.ld1_lane(V(), r(16), 1, X()); }, [&] { a.st1_lane(V(), r(16), 1, r(2) ? X() : a64::sp); },
      [&] { a.bfdot(V(), V(), V(), r(4)); }, [&] { a.shll16(V(), V()); }, [&] { a.fcvtl(V(), V()); },
      [&] { a.fcvtn(V(), V()); }, [&] { a.bfcvtn(V(), V()); },
      [&] {  // every arrangement: 8b 16b 4h 8h 2s 4s 2d
        const int lb = 1 << r(4);
        const bool q = lb == 8 || r(2);
        r(2) ? a.trn1(V(), V(), V(), lb, q) : a.trn2(V(), V(), V(), lb, q);
      },
      [&] { a.zip1_8h(V(), V(), V()); }, [&] { a.zip2_8h(V(), V(), V()); },
      [&] { a.cmtst(V(), V(), V()); }, [&] { a.not_(V(), V()); }, [&] { a.addv(V(), V()); },
      [&] { a.fcvtns(V(), V()); }, [&] { a.scvtf(V(), V()); }, [&] { a.sqxtn_4h(V(), V()); },
      [&] { a.sqxtun_4h(V(), V()); }, [&] { a.sqxtn_8b(V(), V()); }, [&] { a.uqxtn_8b(V(), V()); },
      [&] { a.sxtl_8h(V(), V()); }, [&] { a.sxtl_4s(V(), V()); }, [&] { a.uxtl_8h(V(), V()); },
      [&] { a.uxtl_4s(V(), V()); }, [&] { a.ushr(V(), V(), 1 + r(32)); }, [&] { a.mul(V(), V(), V()); },
      [&] { a.cmhi(V(), V(), V()); }, [&] { a.madd(X(), X(), X(), X()); }, [&] { a.lsr(X(), X(), 1 + r(63)); },
      [&] { a.ldrsw(X(), r(2) ? X() : a64::sp, static_cast<std::uint32_t>(4 * r(4096))); },
      [&] { a.ldr_b(V(), X(), static_cast<std::uint32_t>(r(4096))); },
      [&] { a.str_b(V(), r(2) ? X() : a64::sp, static_cast<std::uint32_t>(r(4096))); },
      [&] { a.fmaxnm(V(), V(), V()); }, [&] { a.fminnm(V(), V(), V()); },
      [&] { a.frintn(V(), V()); }, [&] { a.fcvtzs(V(), V()); }, [&] { a.add(V(), V(), V()); },
      [&] { a.sub(V(), V(), V()); }, [&] { a.shl(V(), V(), r(32)); }, [&] { a.sshr(V(), V(), 1 + r(32)); },
      [&] { a.nop(); }, [&] { a.word(static_cast<std::uint32_t>(rng())); },
      [&] { a.stp(X(), X(), a64::sp, 8 * (r(128) - 64), static_cast<idx>(r(3))); },
      [&] { a.ldp(X(), X(), X(), 8 * (r(128) - 64), static_cast<idx>(r(3))); },
      [&] { a.stp_d(V(), V(), a64::sp, 8 * (r(128) - 64), static_cast<idx>(r(3))); },
      [&] { a.ldp_d(V(), V(), X(), 8 * (r(128) - 64), static_cast<idx>(r(3))); },
      [&] { a.stnp_q(V(), V(), r(2) ? X() : a64::sp, 16 * (r(128) - 64)); },
      [&] { const int c = 1 + r(4); a.ld1(V(), X(), r(2) ? 16 * c : 0, c); },
      [&] { const int c = 1 + r(4); a.st1(V(), r(2) ? X() : a64::sp, r(2) ? 16 * c : 0, c); },
      [&] { a.fadd(V(), V(), V()); }, [&] { a.fsub(V(), V(), V()); }, [&] { a.fmul(V(), V(), V()); },
      [&] { a.fdiv(V(), V(), V()); }, [&] { a.fmax(V(), V(), V()); }, [&] { a.fmin(V(), V(), V()); },
      [&] { a.fmla(V(), V(), V()); }, [&] { a.fmls(V(), V(), V()); }, [&] { a.fcmgt(V(), V(), V()); },
      [&] { a.fcmge(V(), V(), V()); }, [&] { a.fcmeq(V(), V(), V()); }, [&] { a.frecps(V(), V(), V()); },
      [&] { a.frsqrts(V(), V(), V()); }, [&] { a.zip1(V(), V(), V()); }, [&] { a.zip2(V(), V(), V()); },
      [&] { a.uzp1(V(), V(), V()); }, [&] { a.uzp2(V(), V(), V()); },
      [&] { a.fabs(V(), V()); }, [&] { a.fneg(V(), V()); },
      [&] { a.fsqrt(V(), V()); }, [&] { a.frecpe(V(), V()); }, [&] { a.frsqrte(V(), V()); },
      [&] { a.fmla(V(), V(), V(), r(4)); }, [&] { a.dup(V(), V(), r(4)); }, [&] { a.dup(V(), X()); },
      [&] { a.movi_zero(V()); }, [&] { a.and_(V(), V(), V()); }, [&] { a.orr(V(), V(), V()); },
      [&] { a.eor(V(), V(), V()); }, [&] { a.bsl(V(), V(), V()); }, [&] { a.bit(V(), V(), V()); },
      [&] { a.bif(V(), V(), V()); }, [&] { a.ext(V(), V(), V(), r(16)); }, [&] { a.ret(); },
  };
  // branches: backward to bound labels and forward to labels bound later
  std::vector<std::unique_ptr<a64::label>> labels;
  for (int i = 0; i < 3000; ++i) {
    if (i % 50 == 0) {
      labels.push_back(std::make_unique<a64::label>());
      a.bind(*labels.back());
    }
    if (i % 37 == 5) {
      auto fwd = std::make_unique<a64::label>();
      switch (r(4)) {
        case 0: a.b(*fwd); break;
        case 1: a.b(static_cast<a64::cond>(r(14)), *fwd); break;
        case 2: r(2) ? a.cbz(X(), *fwd) : a.adr(X(), *fwd); break;
        default: a.cbnz(X(), *fwd); break;
      }
      a.fadd(V(), V(), V());
      a.bind(*fwd);
      labels.push_back(std::move(fwd));
    }
    if (i % 29 == 7) {
      a64::label& back = *labels[static_cast<std::size_t>(r(static_cast<int>(labels.size())))];
      switch (r(3)) {
        case 0: a.b(static_cast<a64::cond>(r(14)), back); break;
        case 1: a.cbnz(X(), back); break;
        default: a.adr(X(), back); break;
      }
    }
    forms[static_cast<std::size_t>(r(static_cast<int>(forms.size())))]();
  }
  a.mov_imm(a64::x(3), 0x123456789ABCDEF0ull);
  a.mov_imm(a64::x(4), 0);
  a.mov_imm(a64::x(5), 0xFFFF000000000000ull);
  std::string err;
  const std::vector<std::uint32_t> ref = gnu_as(listing, err);
  INFO(err);
  REQUIRE(err.empty());
  REQUIRE(ref.size() == a.words().size());
  std::istringstream lines(listing);
  std::vector<std::string> text;
  for (std::string l; std::getline(lines, l);)
    if (l.rfind("  ", 0) == 0) text.push_back(l);
  for (std::size_t i = 0; i < ref.size(); ++i) {
    if (ref[i] != a.words()[i]) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "as %08x, tpp %08x", ref[i], a.words()[i]);
      FAIL_CHECK(text[i] << ": " << buf);
    }
  }
}

TEST_CASE("A64 assembler rejects what it cannot encode", "[a64][errors]") {
  a64::assembler a;
  REQUIRE_THROWS_AS(a.add(a64::x(0), a64::x(1), 4097), tpp::error);
  REQUIRE_THROWS_AS(a.ldr(a64::x(0), a64::x(1), 12), tpp::error);
  REQUIRE_THROWS_AS(a.ld1(a64::v(0), a64::x(1), 32, 1), tpp::error);
  REQUIRE_THROWS_AS(a.fmla(a64::v(0), a64::v(1), a64::v(2), 4), tpp::error);
  REQUIRE_THROWS_AS(a.shl(a64::v(0), a64::v(1), 32), tpp::error);
  REQUIRE_THROWS_AS(a.sshr(a64::v(0), a64::v(1), 0), tpp::error);
  REQUIRE_THROWS_AS(a.stp(a64::x(0), a64::x(1), a64::sp, 512), tpp::error);
  a64::label l;
  a.bind(l);
  REQUIRE_THROWS_AS(a.bind(l), tpp::error);
}
