// A per-ISA object with one function outside its ISA's namespace: scripts/check-isa-symbols must
// name it (ctest isa_symbols_planted), so the check is known to catch what it exists for.
namespace softmaxkit::simd::avx2 {
int inside_the_namespace(int x) {
  return x + 1;
}
}  // namespace softmaxkit::simd::avx2

int escaped_helper(int x) {
  return x + 2;
}
