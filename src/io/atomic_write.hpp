// Atomic file replacement.
//
// Contract: write_file_atomically either leaves `path` holding exactly `bytes`
// (durably: data and directory entry fsync'ed) or throws softmaxkit::Error
// naming the path and the failing system call's strerror, leaving any previous
// file at `path` intact and no temporary file behind. The one exception: an I/O error of the
// directory's fsync, after the rename, is reported with `path` holding the new bytes. The
// directory is opened before the rename, so one that cannot be (write-only) fails first.
//
// Mode: a new file gets 0666 less the umask (the temporary is created by open(2)); a file
// replaced keeps its rwx bits (not setuid, setgid or sticky), and its temporary is created with
// no more than its read and write bits, so no other user can open it before the fchmod.
// Temporaries' names: "<pid>.XXXXXX" after the prefix, a pid of 1 to 7 digits without a leading
// zero and six characters of [0-9A-Za-z]; the stale cleanup takes no other name.
//
// Refused (Error naming the path): a `path` that exists and is not a regular file (a device such
// as /dev/null, a directory, a FIFO, a socket, a symbolic link); it is never replaced.
//
// Temporary files are named ".<file name>.tmp.<pid>.<6 random characters>" in the target's
// directory. A process killed mid-save leaves its temporary behind; every later save to the same
// path first removes the temporaries of that path that are stale: regular files owned by the
// current user, whose <pid> is not a live process on this machine, and last modified at least
// kStaleTemporaryAge ago (so a concurrent writer's live temporary, on this machine or, by its
// age, another one sharing the directory, is never touched).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace softmaxkit::detail {

inline constexpr std::chrono::seconds kStaleTemporaryAge{60};

// Removes the stale temporaries of `directory`/`file_name` (best effort, never throws).
void remove_stale_temporaries(const std::string& directory, const std::string& file_name);

void write_file_atomically(const std::string& path, std::string_view bytes);

}  // namespace softmaxkit::detail
