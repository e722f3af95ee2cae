// File (an entry of the job's EnumFiles, by index) and Error (a snapshot of
// the job's GetError).
#include <fmt/format.h>

#include "ferry/ferry.h"
#include "sdk/connection.h"
#include "sdk/info_reader.h"
#include "sdk/job_impl.h"
#include "util/status_codes.h"

namespace ferry {

using sdk::Guard;

namespace {

Status Null(std::string_view what) { return Status(code::kInvalidArg, fmt::format("{} is null", what)); }

using FileEntry = sdbus::Struct<std::string, std::string, uint64_t, uint64_t, bool>;

// The file's current entry; files keep their index for the job's lifetime.
Status Entry(sdk::JobProxy& job, uint32_t index, FileEntry* entry) {
  auto entries = job.EnumFiles();
  if (index >= entries.size())
    return Status(code::kUnexpected, fmt::format("the job has no file {}", index));
  *entry = std::move(entries[index]);
  return Status::OK();
}

std::string_view ContextDescription(ErrorContext c) {
  switch (c) {
    case ErrorContext::kNone: return "No error.";
    case ErrorContext::kUnknown: return "The cause of the error is not known.";
    case ErrorContext::kGeneralQueueManager: return "The error occurred in the transfer queue manager.";
    case ErrorContext::kQueueManagerNotification:
      return "The error occurred while notifying the application.";
    case ErrorContext::kLocalFile: return "The error occurred while processing the local file.";
    case ErrorContext::kRemoteFile: return "The error occurred while processing the remote file.";
    case ErrorContext::kGeneralTransport: return "The error occurred in the transport layer.";
    case ErrorContext::kRemoteApplication:
      return "The error occurred while the remote application processed the request.";
  }
  return "The cause of the error is not known.";
}

}  // namespace

File::File(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
File::~File() = default;

Status File::GetRemoteName(std::string* url) {
  return Guard([&] {
    if (!url) return Null("url");
    FileEntry e;
    if (Status s = Entry(*impl_->proxy, impl_->index, &e); !s.ok()) return s;
    *url = e.get<0>();
    return Status::OK();
  });
}

Status File::GetLocalName(std::string* path) {
  return Guard([&] {
    if (!path) return Null("path");
    FileEntry e;
    if (Status s = Entry(*impl_->proxy, impl_->index, &e); !s.ok()) return s;
    *path = e.get<1>();
    return Status::OK();
  });
}

Status File::GetProgress(FileProgress* progress) {
  return Guard([&] {
    if (!progress) return Null("progress");
    FileEntry e;
    if (Status s = Entry(*impl_->proxy, impl_->index, &e); !s.ok()) return s;
    progress->bytes_total = e.get<2>();
    progress->bytes_transferred = e.get<3>();
    progress->completed = e.get<4>();
    return Status::OK();
  });
}

Status File::GetFileRanges(std::vector<FileRange>* ranges) {
  return Guard([&] {
    if (!ranges) return Null("ranges");
    auto [r, c] = impl_->proxy->GetFileRanges(impl_->index);
    std::vector<FileRange> out;
    out.reserve(r.size());
    for (const auto& range : r) out.push_back(FileRange{range.get<0>(), range.get<1>()});
    *ranges = std::move(out);
    if (c == code::kFalse || ranges->empty()) return Status::False();
    return Status::OK();
  });
}

Status File::SetRemoteName(std::string_view url) {
  return Guard([&] {
    impl_->proxy->SetFileRemoteName(impl_->index, sdk::Text(url, "url"));
    return Status::OK();
  });
}

Status File::SetIntegrity(std::string_view sha256_hex) {
  return Guard([&] {
    impl_->proxy->SetFileIntegrity(impl_->index, sdk::Text(sha256_hex, "sha256_hex"));
    return Status::OK();
  });
}

Status File::SetContentId(std::string_view content_id) {
  return Guard([&] {
    impl_->proxy->SetFileContentId(impl_->index, sdk::Text(content_id, "content_id"));
    return Status::OK();
  });
}

Status File::GetContentId(std::string* content_id) {
  return Guard([&] {
    if (!content_id) return Null("content_id");
    *content_id = impl_->proxy->GetFileContentId(impl_->index);
    return Status::OK();
  });
}

Status File::GetStats(FileStats* stats) {
  return Guard([&] {
    if (!stats) return Null("stats");
    sdbus::MethodReply reply = impl_->proxy->GetFileStatsReply(impl_->index);
    sdk::Info m;
    if (Status s = sdk::ReadInfo(reply, "GetFileStats", &m); !s.ok()) return s;
    FileStats out;
    if (Status s = sdk::DecodeFileStats(m, &out); !s.ok()) return s;
    *stats = out;
    return Status::OK();
  });
}

Error::Error(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Error::~Error() = default;

Status Error::GetError(ErrorContext* context, int32_t* c) {
  if (!context || !c) return Null("context or code");
  *context = impl_->context;
  *c = impl_->code;
  return Status::OK();
}

Status Error::GetFile(std::unique_ptr<File>* file) {
  return Guard([&] {
    if (!file) return Null("file");
    if (impl_->file < 0) return Status(code::kFileNotAvailable, "the error is not tied to a file");
    auto f = std::make_unique<File::Impl>(impl_->conn);
    f->job_path = impl_->job_path;
    f->index = static_cast<uint32_t>(impl_->file);
    f->proxy = impl_->conn->NewJobProxy(impl_->job_path);
    file->reset(new File(std::move(f)));
    return Status::OK();
  });
}

Status Error::GetErrorDescription(std::string* description) {
  return Guard([&] {
    if (!description) return Null("description");
    *description = sdk::ErrorDescription(impl_->code, impl_->message);
    return Status::OK();
  });
}

Status Error::GetErrorContextDescription(std::string* description) {
  return Guard([&] {
    if (!description) return Null("description");
    *description = std::string(ContextDescription(impl_->context));
    return Status::OK();
  });
}

Status Error::GetProtocol(std::string* protocol) {
  return Guard([&] {
    if (!protocol) return Null("protocol");
    *protocol = impl_->protocol;
    return Status::OK();
  });
}

}  // namespace ferry
