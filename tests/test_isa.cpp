#include <doctest/doctest.h>

#include <algorithm>

#include "softmaxkit/softmaxkit.hpp"

using softmaxkit::Isa;

TEST_CASE("supported ISAs start at the x86-64 baseline and include the active one") {
  const auto isas = softmaxkit::supported_isas();
  REQUIRE(!isas.empty());
  CHECK(isas.front() == Isa::sse2);
  CHECK(std::is_sorted(isas.begin(), isas.end()));
  CHECK(std::find(isas.begin(), isas.end(), softmaxkit::active_isa()) != isas.end());
}

TEST_CASE("ISA names round-trip and unknown names are refused") {
  for (Isa isa : {Isa::sse2, Isa::avx2, Isa::avx512}) {
    CHECK(softmaxkit::parse_isa(softmaxkit::to_string(isa)) == isa);
  }
  CHECK_THROWS_WITH_AS(softmaxkit::parse_isa("avx1024"), doctest::Contains("avx1024"),
                       softmaxkit::Error);
}

TEST_CASE("ScopedIsa switches the active ISA and restores it") {
  const Isa before = softmaxkit::active_isa();
  for (Isa isa : softmaxkit::supported_isas()) {
    softmaxkit::ScopedIsa scoped(isa);
    CHECK(softmaxkit::active_isa() == isa);
  }
  CHECK(softmaxkit::active_isa() == before);
}

TEST_CASE("an unsupported ISA is refused") {
  for (Isa isa : {Isa::sse2, Isa::avx2, Isa::avx512}) {
    if (softmaxkit::is_supported(isa)) continue;
    CHECK_THROWS_AS(softmaxkit::set_active_isa(isa), softmaxkit::Error);
  }
}
