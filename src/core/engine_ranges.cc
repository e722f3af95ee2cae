// Engine::AddFileRanges: more ranges for a file that already has some (DO's
// Start in Transferred with other ranges, do-download.md §1).
#include <fmt/format.h>

#include <algorithm>

#include "core/engine.h"
#include "core/engine_impl.h"
#include "core/validation.h"

namespace ferry::core {
namespace {

// The byte count of `ranges` (kSizeUnknown when one runs to an unknown end).
uint64_t RangesTotal(const std::vector<FileRange>& ranges, uint64_t file_size) {
  uint64_t sum = 0;
  for (const auto& r : ranges) {
    if (r.length != kLengthToEof) {
      sum += r.length;
    } else if (file_size == kSizeUnknown) {
      return kSizeUnknown;
    } else {
      sum += file_size - r.initial_offset;
    }
  }
  return sum;
}

}  // namespace

Status Engine::AddFileRanges(const Guid& id, uint32_t file, std::span<const FileRange> ranges,
                             bool* added) {
  Impl& m = *impl_;
  *added = false;
  RuntimeJob* j;
  if (Status s = m.Mutable(id, &j); !s.ok()) return s;
  if (file >= j->rec.files.size()) return Status(code::kInvalidArg, "no such file in the job");
  FileRecord& f = j->rec.files[file];
  if (f.ranges.empty()) return Status::OK();  // the whole file: every range is there
  std::vector<FileRange> all = f.ranges;
  for (const FileRange& r : ranges)
    if (std::find(all.begin(), all.end(), r) == all.end()) all.push_back(r);
  if (all.size() == f.ranges.size()) return Status::OK();
  if (j->rec.state != JobState::kTransferred && j->rec.state != JobState::kSuspended)
    return Status(code::kInvalidState, "ranges can be added to a transferred or suspended job only");
  if (Status s = ValidateRanges(all, f.expected_size, m.cfg.max_ranges_per_file); !s.ok())
    return s;
  JobRecord before = j->rec;
  bool was_dirty = j->dirty;
  f.ranges = std::move(all);  // new ranges follow the old ones in staging
  f.bytes_total = RangesTotal(f.ranges, f.expected_size);
  f.transferred = false;
  j->dirty_files.push_back(file);
  if (j->rec.state == JobState::kTransferred) m.Move(*j, JobState::kSuspended, "ranges added");
  m.Touch(*j);
  if (Status s = m.Flush(); !s.ok()) {
    j->rec = std::move(before);
    j->dirty = was_dirty;
    return s;
  }
  *added = true;
  return Status::OK();
}

}  // namespace ferry::core
