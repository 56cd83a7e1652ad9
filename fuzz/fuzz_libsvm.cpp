// libFuzzer target for parse_libsvm and parse_libsvm_csr (one parser, two results). Byte 0: if
// odd, num_features is inferred (0); otherwise num_features = byte 0.
// Checks: both accept or refuse the same input, with the same message except the index limit
// (2^28 dense, kCsrMaxColumns sparse) and the dense size limits; the CSR result is valid (the
// CsrMatrix constructor validates it) and, when small, equals the dense result densified; the
// text fed in pieces as read_libsvm_csr streams a file (pieces of 1 + size % 29 bytes, grown to
// hold a line) gives the whole text's CSR result, bit for bit, or its message, as does the text
// cut into parts at up to three line starts (size % 4) as softmaxkit-mpi's ranks parse and combine
// them (detail::parse_libsvm_csr_in_parts); and parsed as
// read_libsvm streams a file (detail::parse_libsvm_in_pieces: the streamed CSR parse, the dense
// limits, densified) the whole text's dense result, bit for bit, or its message.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/libsvm_pieces.hpp"
#include "parse_checks.hpp"
#include "softmaxkit/data.hpp"
#include "softmaxkit/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  softmaxkit::LibsvmOptions options;
  options.num_features = (data[0] & 1) ? 0 : data[0];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  std::optional<softmaxkit::Dataset> dense;
  std::string dense_error;
  try {
    dense = softmaxkit::parse_libsvm(text, options, "fuzz");
    const softmaxkit::Dataset& d = *dense;
    if (d.features.size() != d.rows * d.cols || d.labels.size() != d.rows) __builtin_trap();
    if (options.num_features != 0 && d.cols != options.num_features) __builtin_trap();
    for (const float v : d.features) {
      if (!std::isfinite(v)) __builtin_trap();
    }
  } catch (const softmaxkit::Error& error) {
    dense_error = error.what();
  }
  std::optional<softmaxkit::SparseDataset> sparse;
  std::string sparse_error;
  try {
    sparse = softmaxkit::parse_libsvm_csr(text, options, "fuzz");
  } catch (const softmaxkit::Error& error) {
    sparse_error = error.what();
  }
  // The same CSR result bit for bit as the whole text's, or the same message.
  const auto check_same_csr = [&](auto&& parse) {
    try {
      const softmaxkit::SparseDataset got = parse();  // throws when the whole text's parse threw
      if (!sparse || !softmaxkit::fuzz::same_sparse_dataset(got, *sparse)) __builtin_trap();
    } catch (const softmaxkit::Error& error) {
      if (sparse || error.what() != sparse_error) __builtin_trap();
    }
  };
  check_same_csr([&] {
    return softmaxkit::detail::parse_libsvm_csr_in_pieces(text, options, "fuzz", 1 + size % 29);
  });
  // Cut at up to three line starts picked from the input's size, as softmaxkit-mpi's ranks.
  const std::vector<std::size_t> cuts = softmaxkit::fuzz::line_start_cuts(text, size % 4, size);
  check_same_csr([&] {
    return softmaxkit::detail::parse_libsvm_csr_in_parts(text, cuts, options, "fuzz", 1 + size % 5);
  });
  try {
    const softmaxkit::Dataset pieces =
        softmaxkit::detail::parse_libsvm_in_pieces(text, options, "fuzz", 1 + size % 31);
    if (!dense || !softmaxkit::fuzz::same_dataset(pieces, *dense)) __builtin_trap();
  } catch (const softmaxkit::Error& error) {
    if (dense || error.what() != dense_error) __builtin_trap();
  }
  if (sparse) {
    const auto& view = sparse->features.view();
    if (sparse->labels.size() != view.rows()) __builtin_trap();
    if (options.num_features != 0 && view.cols() != options.num_features) __builtin_trap();
    for (const float v : view.values()) {
      if (!std::isfinite(v)) __builtin_trap();
    }
    if (dense) {
      // Same shape and labels, and the dense matrix is the CSR one densified.
      if (dense->rows != view.rows() || dense->cols != view.cols()) __builtin_trap();
      if (dense->labels != sparse->labels) __builtin_trap();
      std::vector<float> expected(dense->features.size(), 0.0f);
      for (std::size_t i = 0; i < view.rows(); ++i) {
        for (std::size_t k = view.row_begin(i); k < view.row_end(i); ++k) {
          expected[i * view.cols() + static_cast<std::size_t>(view.column_indices()[k])] =
              view.values()[k];
        }
      }
      if (expected != dense->features) __builtin_trap();
    } else if (dense_error.find("exceeds the limit") == std::string::npos &&
               dense_error.find("would need") == std::string::npos) {
      __builtin_trap();  // the dense reader may refuse only a size the sparse one allows
    }
  } else {
    // Whatever the sparse reader refuses, the dense one refuses with the same message (its
    // index limit is lower, so it may stop earlier).
    if (dense) __builtin_trap();
    if (sparse_error != dense_error && dense_error.find("exceeds the limit") == std::string::npos)
      __builtin_trap();
  }
  return 0;
}
