// Thread scaling measured in pairs: <entry>/paired times one call on one thread and one call on
// two threads back to back (alternating which goes first), for a fixed number of pairs, and
// reports the median over pairs of t1 / t2 as the counter `ratio` (with the medians of t1 and t2
// in ms). On a shared machine the background load drifts over seconds, so two entries timed
// seconds apart (threads:1, then threads:2) can differ by 20 % for reasons of their own; a pair
// sees the same conditions. The work is the same as the entry's threads:N forms.
#pragma once

#include <functional>
#include <string>

#include "harness.hpp"

namespace softmaxkit::bench {

// make() builds the data and returns the call (run inside a TBB arena of 1 or 2 threads) and its
// check (run once on the output of a first call, outside the timing).
void register_paired_scaling(const std::string& entry, std::function<Variant()> make);

}  // namespace softmaxkit::bench
