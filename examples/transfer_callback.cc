// Downloads one file through ferryd, the BITS way: create a job, add the file,
// register a callback, resume, and let the callback finish the job.
//
//   transfer_callback URL /absolute/local/path [BUS_ADDRESS]
//
// Exits 0 once the file is at its local name.
#include <ferry/ferry.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>

class Notify : public ferry::Callback {
 public:
  // The bytes are all in the service's staging: Complete() puts the file in
  // place. Returning a failure makes the SDK call again later.
  ferry::Status JobTransferred(ferry::Job& job) override {
    ferry::Status s = job.Complete();
    if (s.ok()) Finish();
    return s;
  }

  // A fatal error (a transient one is retried by the service): give up.
  ferry::Status JobError(ferry::Job& job, ferry::Error& error) override {
    ferry::ErrorContext context;
    int32_t code = 0;
    std::string text;
    error.GetError(&context, &code);
    error.GetErrorDescription(&text);
    std::fprintf(stderr, "job failed: 0x%08X %s\n", static_cast<unsigned>(code), text.c_str());
    job.Cancel();
    Finish();
    return ferry::Status::OK();
  }

  ferry::Status JobModification(ferry::Job&, uint32_t) override { return ferry::Status::OK(); }

  bool WaitFor(std::chrono::seconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [this] { return done_; });
  }

 private:
  void Finish() {
    std::lock_guard lock(mu_);
    done_ = true;
    cv_.notify_all();
  }

  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
};

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s URL /absolute/local/path [BUS_ADDRESS]\n", argv[0]);
    return 2;
  }
  ferry::ConnectOptions options;
  if (argc > 3) {
    options.bus = ferry::ConnectOptions::Bus::kAddress;
    options.address = argv[3];
  }

  std::unique_ptr<ferry::Manager> manager;
  std::unique_ptr<ferry::Job> job;
  ferry::Guid id;
  auto notify = std::make_shared<Notify>();
  ferry::Status s = ferry::Manager::Connect(options, &manager);
  if (s.ok()) s = manager->CreateJob("transfer_callback example", ferry::JobType::kDownload, &id, &job);
  if (s.ok()) s = job->AddFile(argv[1], argv[2]);
  if (s.ok()) s = job->SetNotifyInterface(notify);
  if (s.ok()) s = job->Resume();
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }

  std::printf("job %s: downloading %s\n", id.ToString().c_str(), argv[1]);
  if (!notify->WaitFor(std::chrono::minutes(10))) {
    std::fprintf(stderr, "timed out; the job goes on in the background\n");
    return 1;
  }
  return std::filesystem::exists(argv[2]) ? 0 : 1;
}
