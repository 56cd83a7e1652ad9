// A flat JSON object written field by field (numbers, strings, booleans) — all the command needs.
#pragma once

#include <string>

namespace softmaxkit::cli {

class JsonObject {
 public:
  void add(const std::string& key, double value);
  void add(const std::string& key, long long value);
  void add(const std::string& key, const std::string& value);
  void add_bool(const std::string& key, bool value);
  // `json` is already valid JSON (an array, say), written as it is.
  void add_raw(const std::string& key, const std::string& json);
  std::string str() const { return "{" + body_ + "}"; }

 private:
  void key(const std::string& name);
  std::string body_;
};

}  // namespace softmaxkit::cli
