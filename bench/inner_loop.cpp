// Writes the BRGEMM kernels whose inner loops the README compares (f32 64x64x64, stride batch, as
// in the BRGEMM 64^3 x 16 benchmark; bf16 with VNNI B, and bf16 B normal converted at neon) for
// each ISA's generator, whatever the host CPU: generating code does not run it.
// bench/inner_loop.py disassembles and counts them.
//
//   tpp_inner_loop DIR   ->  DIR/<isa>_<dtype>.bin  (raw code: x86-64 or A64)
#include <cstdio>
#include <string>

#include "tpp/tpp.hpp"

namespace {

void write(const std::string& path, const void* code, std::size_t bytes) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f || std::fwrite(code, 1, bytes, f) != bytes) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    std::exit(1);
  }
  std::fclose(f);
}

tpp::brgemm_params shape(tpp::dtype t) {
  tpp::brgemm_params p;
  p.m = p.n = p.k = 64;
  p.a.type = p.b.type = t;
  if (t == tpp::dtype::bf16) p.b_layout = tpp::gemm_layout::vnni;
  p.stride_a = p.stride_b = 64 * 64;
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  using tpp::isa;
  tpp::set_bf16_product(tpp::bf16_product::dot);  // the avx512_bf16 rows are the vdpbf16ps kernel
  for (tpp::dtype t : {tpp::dtype::f32, tpp::dtype::bf16}) {
    const std::string suffix = std::string("_") + tpp::name(t) + ".bin";
#if TPP_X86_64
    if (t == tpp::dtype::f32) {
      tpp::jit::x86::brgemm_generator<Xbyak::Ymm> g(tpp::detail::lower(shape(t), isa::avx2));
      write(dir + "/avx2" + suffix, g.getCode(), g.getSize());
    }
    const isa zmm = t == tpp::dtype::f32 ? isa::avx512 : isa::avx512_bf16;
    tpp::jit::x86::brgemm_generator<Xbyak::Zmm> z(tpp::detail::lower(shape(t), zmm));
    write(dir + "/" + tpp::name(zmm) + suffix, z.getCode(), z.getSize());
#endif
    const isa arm = t == tpp::dtype::f32 ? isa::neon : isa::neon_bf16;
    tpp::jit::a64::brgemm_generator g(tpp::detail::lower(shape(t), arm));
    write(dir + "/" + tpp::name(arm) + suffix, g.words().data(), g.words().size() * 4);
  }
  // bf16 B normal at neon (no BF16): each B vector widened as it is loaded, what tpp::gemm avoids
  // there by widening A and B to f32 once
  tpp::brgemm_params q = shape(tpp::dtype::bf16);
  q.b_layout = tpp::gemm_layout::normal;
  tpp::jit::a64::brgemm_generator w(tpp::detail::lower(q, isa::neon));
  write(dir + "/neon_bf16_converted.bin", w.words().data(), w.words().size() * 4);
  return 0;
}
