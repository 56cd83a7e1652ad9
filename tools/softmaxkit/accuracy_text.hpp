// How the command prints an accuracy in its text output (--json gives %.17g): four decimals,
// with more where four would round a fraction below 1 up to 1.0000, or one above 0 down to
// 0.0000 (39999 of 40000 rows right printed "accuracy 1.0000", an audit).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

namespace softmaxkit::cli {

inline std::string accuracy_text(double accuracy) {
  char text[64];
  for (int decimals = 4;; ++decimals) {
    std::snprintf(text, sizeof text, "%.*f", decimals, accuracy);
    const double shown = std::strtod(text, nullptr);
    const bool misleading = (shown == 1 && accuracy < 1) || (shown == 0 && accuracy > 0);
    if (!misleading || decimals >= 30) return text;
  }
}

}  // namespace softmaxkit::cli
