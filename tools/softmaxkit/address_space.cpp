// RLIMIT_AS against OpenBLAS's buffers (address_space.hpp).
#include "address_space.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <thread>

#include "softmaxkit/error.hpp"
#include "softmaxkit/openblas_core.hpp"

namespace softmaxkit::cli {
namespace {

// The address-space limit in bytes, or 0 without one.
std::size_t limit_bytes() {
  rlimit limit{};
  if (getrlimit(RLIMIT_AS, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 0;
  return static_cast<std::size_t>(limit.rlim_cur);
}

std::string mib(std::size_t bytes) {
  return std::to_string(bytes >> 20) + " MiB";
}

}  // namespace

bool address_space_limited() {
  return limit_bytes() != 0;
}

void check_address_space(int threads) {
  const std::size_t limit = limit_bytes();
  if (limit == 0) return;
  const std::size_t cores = std::max(1U, std::thread::hardware_concurrency());
  const std::size_t callers =
      threads <= 0 ? cores : std::min(cores, static_cast<std::size_t>(threads));
  const auto workers = static_cast<std::size_t>(std::max(openblas_threads(), 1) - 1);
  const std::size_t need = (callers + workers + 1) * openblas_buffer_bytes;
  if (limit < need) {
    throw OutOfAddressSpace(
        "the address-space limit (ulimit -v) is " + mib(limit) + ", below the " + mib(need) +
        " that OpenBLAS's buffers and the process need (" + mib(openblas_buffer_bytes) +
        " for each of " + std::to_string(callers) + " calling threads and " +
        std::to_string(workers) +
        " OpenBLAS worker threads; without them OpenBLAS retries forever instead of failing): "
        "raise the limit, or use fewer --threads (OPENBLAS_NUM_THREADS=1 stops OpenBLAS's own "
        "workers)");
  }
}

}  // namespace softmaxkit::cli
