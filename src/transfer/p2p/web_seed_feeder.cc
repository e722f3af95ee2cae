#include "transfer/p2p/web_seed_feeder.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "core/job_request.h"
#include "util/log.h"
#include "util/status_codes.h"

namespace ferry::transfer {
namespace {

std::string EncodePath(const std::string& path) {
  std::string out;
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/')
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

uint64_t PieceBegin(const torrent::TorrentStatus& st, int piece) {
  return static_cast<uint64_t>(piece) * static_cast<uint64_t>(st.piece_length);
}

uint64_t PieceEnd(const torrent::TorrentStatus& st, int piece) {
  return std::min(PieceBegin(st, piece + 1), st.total_size);
}

void Append(std::vector<PieceSegment>* out, PieceSegment s) {
  if (s.length == 0) return;
  if (!out->empty()) {
    PieceSegment& b = out->back();
    if (b.url == s.url && (s.url.empty() || b.offset + b.length == s.offset)) {
      b.length += s.length;
      return;
    }
  }
  out->push_back(std::move(s));
}

}  // namespace

std::string WebSeedFileUrl(const std::string& seed, const torrent::TorrentStatus& st,
                           const torrent::FileEntry& file) {
  if (seed.empty()) return seed;
  if (st.files.size() == 1 && seed.back() != '/') return seed;
  return seed + (seed.back() == '/' ? "" : "/") + EncodePath(file.path);
}

std::vector<PieceSegment> PieceSegments(const torrent::TorrentStatus& st, const std::string& seed,
                                        int first, int last) {
  std::vector<PieceSegment> out;
  const int pieces = static_cast<int>(st.pieces.size());
  if (!st.has_metadata || st.piece_length <= 0 || first < 0 || last < first || last >= pieces)
    return out;
  uint64_t cursor = PieceBegin(st, first);
  const uint64_t end = PieceEnd(st, last);
  std::vector<const torrent::FileEntry*> files;
  for (const torrent::FileEntry& f : st.files) files.push_back(&f);
  std::sort(files.begin(), files.end(), [](auto* a, auto* b) { return a->offset < b->offset; });
  for (const torrent::FileEntry* f : files) {
    const uint64_t f_end = f->offset + f->size;
    if (f_end <= cursor || f->size == 0) continue;
    if (f->offset >= end) break;
    if (f->offset > cursor) Append(&out, {"", 0, f->offset - cursor});  // pad bytes
    const uint64_t from = std::max(cursor, f->offset);
    const uint64_t to = std::min(end, f_end);
    Append(&out, {WebSeedFileUrl(seed, st, *f), from - f->offset, to - from});
    cursor = to;
  }
  if (cursor < end) Append(&out, {"", 0, end - cursor});
  return out;
}

std::optional<std::pair<int, int>> NextRun(const torrent::TorrentStatus& st, uint64_t begin,
                                           uint64_t end, uint64_t max_bytes,
                                           const std::set<int>& busy) {
  if (st.piece_length <= 0) return std::nullopt;
  const int pieces = static_cast<int>(st.pieces.size());
  auto wanted = [&](int p) {
    return !st.pieces[p] && !busy.count(p) && PieceBegin(st, p) < end && PieceEnd(st, p) > begin;
  };
  int first = static_cast<int>(begin / static_cast<uint64_t>(st.piece_length));
  while (first < pieces && !wanted(first)) ++first;
  if (first >= pieces || PieceBegin(st, first) >= end) return std::nullopt;
  int last = first;
  while (last + 1 < pieces && wanted(last + 1) &&
         PieceEnd(st, last + 1) - PieceBegin(st, first) <= max_bytes)
    ++last;
  return std::make_pair(first, last);
}

// One segment's HTTP answer: exactly `length` bytes from `offset`.
class WebSeedFeeder::Sink final : public core::ByteSink {
 public:
  Sink(WebSeedFeeder& feeder, uint64_t offset, uint64_t length)
      : f_(&feeder), offset_(offset), left_(length) {}
  // Nothing more reaches the feeder (the stream is being retired).
  void Detach() { f_ = nullptr; }
  bool OnResponse(const core::ByteResponse& r) override {
    if (f_ == nullptr) return false;
    if ((r.status == 206 && r.body_offset == offset_) || (r.status == 200 && offset_ == 0))
      return true;
    error_ = fmt::format("HTTP {} for bytes from {}", r.status, offset_);
    return false;
  }
  bool OnData(std::span<const std::byte> data) override {
    if (f_ == nullptr) return false;
    const size_t take = static_cast<size_t>(std::min<uint64_t>(data.size(), left_));
    f_->Take(reinterpret_cast<const char*>(data.data()), take);
    left_ -= take;
    return left_ > 0;  // the rest of a 200 is not needed
  }
  void OnDone(const core::ByteOutcome& outcome) override {
    if (f_ == nullptr) return;
    Status s = left_ == 0        ? Status::OK()
               : !error_.empty() ? Status(code::kUnexpected, error_)
               : !outcome.status.ok()
                   ? outcome.status
                   : Status(code::kUnexpected, "the web seed sent fewer bytes than asked");
    // Not inside the stream's own callback: the next request starts later.
    sys::PostIfAlive(f_->host_.Loop(), f_->lifetime_, [f = f_, s] { f->EndSegment(s); });
  }

 private:
  WebSeedFeeder* f_;
  uint64_t offset_;
  uint64_t left_;
  std::string error_;
};

WebSeedFeeder::WebSeedFeeder(core::FetchHost& host, core::ByteSource& http,
                             torrent::Session& session, torrent::TorrentId id, uint64_t begin,
                             uint64_t end)
    : host_(host), http_(http), session_(session), id_(id), begin_(begin), end_(end) {}

WebSeedFeeder::~WebSeedFeeder() { DropStream(); }

// The engine stops a retired stream on a later loop turn; its sink stays
// until then, detached.
void WebSeedFeeder::DropStream() {
  if (sink_) sink_->Detach();
  if (stream_) host_.RetireStream(std::move(stream_));
  if (!sink_) return;
  retired_.push_back(std::move(sink_));
  sys::PostIfAlive(host_.Loop(), lifetime_, [this] { retired_.clear(); });
}

void WebSeedFeeder::OnTick(const torrent::TorrentStatus& st, sys::WallTime last_peer_bytes) {
  last_peer_bytes_ = last_peer_bytes;
  for (auto it = added_.begin(); it != added_.end();)
    it = *it < static_cast<int>(st.pieces.size()) && st.pieces[*it] ? added_.erase(it) : ++it;
  if (busy() || seed_ >= st.web_seeds.size() || !st.has_metadata) return;
  if (host_.Now() - last_peer_bytes < kPeersFirst) return;
  auto run = NextRun(st, begin_, end_, kRunBytes, added_);
  if (run) StartRun(st, run->first, run->second);
}

void WebSeedFeeder::StartRun(const torrent::TorrentStatus& st, int first, int last) {
  st_ = st;
  segments_ = PieceSegments(st_, st_.web_seeds[seed_], first, last);
  segment_ = 0;
  piece_ = first;
  last_ = last;
  buffer_.clear();
  log::Debug("job {} file {}: pieces {}-{} from web seed {}", host_.Job().id.ToString(),
             host_.File().index, first, last, st_.web_seeds[seed_]);
  NextSegment();
}

void WebSeedFeeder::NextSegment() {
  while (segment_ < segments_.size() && segments_[segment_].url.empty()) {
    const std::string zeros(segments_[segment_].length, '\0');  // pad bytes
    ++segment_;
    Take(zeros.data(), zeros.size());
  }
  if (segment_ >= segments_.size()) {  // the run is done: the next one now
    DropStream();
    failures_ = 0;
    sys::PostIfAlive(host_.Loop(), lifetime_, [this] {
      if (const torrent::TorrentStatus* st = session_.GetStatus(id_)) OnTick(*st, last_peer_bytes_);
    });
    return;
  }
  const PieceSegment& s = segments_[segment_];
  core::ByteRequest req = core::JobRequest(host_, s.url);
  req.offset = s.offset;
  req.length = s.length;
  DropStream();
  sink_ = std::make_unique<Sink>(*this, s.offset, s.length);
  stream_ = http_.Start(req, sink_.get());
}

void WebSeedFeeder::Take(const char* data, size_t size) {
  const bool pad = segment_ >= segments_.size() || segments_[segment_].url.empty();
  if (!pad && size > 0) host_.OnReceived(size, size, host_.Now(), core::ByteFrom::kOrigin);
  while (size > 0 && piece_ <= last_) {
    const size_t want = static_cast<size_t>(PieceSize(piece_)) - buffer_.size();
    const size_t n = std::min(want, size);
    buffer_.append(data, n);
    data += n;
    size -= n;
    if (buffer_.size() < static_cast<size_t>(PieceSize(piece_))) break;
    Status s = session_.AddPiece(id_, piece_, std::move(buffer_));
    if (s.ok()) added_.insert(piece_);
    buffer_.clear();
    ++piece_;
    host_.FileChanged();  // its stats
  }
}

void WebSeedFeeder::EndSegment(Status status) {
  if (!status.ok()) return Failed(status.ToString());
  ++segment_;
  NextSegment();
}

void WebSeedFeeder::OnPieceFailed(int piece) {
  if (added_.erase(piece) == 0) return;
  Failed(fmt::format("piece {} failed its hash check", piece));
}

void WebSeedFeeder::Failed(const std::string& why) {
  const std::string seed = seed_ < st_.web_seeds.size() ? st_.web_seeds[seed_] : "";
  log::Warn("job {} file {}: web seed {}: {}", host_.Job().id.ToString(), host_.File().index, seed,
            why);
  DropStream();
  buffer_.clear();
  if (++failures_ < kMaxFailures) return;
  log::Warn("job {} file {}: web seed {} dropped after {} failures", host_.Job().id.ToString(),
            host_.File().index, seed, failures_);
  ++seed_;
  failures_ = 0;
}

int WebSeedFeeder::PieceSize(int piece) const {
  return static_cast<int>(PieceEnd(st_, piece) - PieceBegin(st_, piece));
}

}  // namespace ferry::transfer
