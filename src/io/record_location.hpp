// Where a record of a text data file lies, found by reading the file again: for messages about a
// record that is found wrong only after reading (a label a model does not know), which the
// readers' results number by row, not by line. libsvm_label_location and csv_label_location
// (data.hpp) are this with each format's rule for which lines are records.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "file_io.hpp"
#include "softmaxkit/error.hpp"
#include "text_pieces.hpp"

namespace softmaxkit::detail {

// "path:line:column" (1-based) of record `row` (0-based) of the file at `path`, streamed as the
// readers stream it (gzip inflated piece by piece, a byte order mark skipped, the same line
// numbers). is_record(line, number) says whether a line is a record; label_column(line) gives the
// 1-based byte column of a record's label. Reading stops at the record. Error naming the file
// when it holds fewer records (it changed since it was read).
template <class IsRecord, class LabelColumn>
std::string record_label_location(const std::string& path, std::uint64_t row, IsRecord&& is_record,
                                  LabelColumn&& label_column) {
  struct Finder {
    const std::string& path;
    std::uint64_t row;
    IsRecord& is_record;
    LabelColumn& label_column;
    PieceLines piece_lines{};
    std::uint64_t records = 0, line = 0, column = 0;

    const std::string& name() const { return path; }
    const PieceLines& lines() const { return piece_lines; }
    bool found() const { return line != 0; }
    void parse(std::string_view text) {
      if (found()) return;
      piece_lines.feed(text, [this](std::string_view text_line, std::uint64_t number) {
        if (found() || !is_record(text_line, number)) return;
        if (records++ == row) {
          line = number;
          column = label_column(text_line);
        }
      });
    }
  };
  StreamedTextFile file(path);
  const TextSource source = file.source();
  Finder finder{path, row, is_record, label_column};
  parse_in_pieces(finder, kTextPieceBytes, [&](char* into, std::size_t count) -> std::size_t {
    return finder.found() ? 0 : source.read(into, count);
  });
  if (!finder.found()) {
    throw Error(path + ": has " + std::to_string(finder.records) + " records, so no record " +
                std::to_string(row) + " (counted from 0; did the file change?)");
  }
  return path + ":" + std::to_string(finder.line) + ":" + std::to_string(finder.column);
}

}  // namespace softmaxkit::detail
