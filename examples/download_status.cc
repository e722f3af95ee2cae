// Downloads one file through ferryd, the Delivery Optimization way: one
// Download object, properties set by id, a status callback, Finalize.
//
//   download_status URL /absolute/local/path [BUS_ADDRESS]
//
// Exits 0 once the file is at its local path; 1 when the download fails; 2
// for usage; 3 when ferryd cannot be reached.
#include <ferry/ferry.h>

#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>

class Progress : public ferry::DownloadStatusCallback {
 public:
  // Runs on the SDK's callback thread: at every change of state, and for
  // progress at most once per CallbackFreqSeconds.
  ferry::Status OnStatusChange(ferry::Download&, const ferry::DownloadStatus& st) override {
    std::printf("%-12s %llu bytes\n", std::string(ferry::DownloadStateName(st.state)).c_str(),
                static_cast<unsigned long long>(st.bytes_transferred));
    std::lock_guard lock(mu_);
    if (st.error != 0) error_ = st.error;  // failed <=> error != 0
    if (st.state == ferry::DownloadState::kTransferred || st.error != 0) done_ = true;
    cv_.notify_all();
    return ferry::Status::OK();
  }
  // Waits for Transferred (0) or a failure (its code).
  int32_t Wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return done_; });
    return error_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  int32_t error_ = 0;
};

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: download_status URL /absolute/local/path [BUS_ADDRESS]\n");
    return 2;
  }
  ferry::ConnectOptions options;
  if (argc > 3) {
    options.bus = ferry::ConnectOptions::Bus::kAddress;
    options.address = argv[3];
  }
  std::unique_ptr<ferry::Manager> manager;
  ferry::Status s = ferry::Manager::Connect(options, &manager);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 3;
  }
  std::unique_ptr<ferry::Download> download;
  s = manager->CreateDownload(&download);
  auto progress = std::make_shared<Progress>();
  using P = ferry::DownloadProperty;
  if (s.ok()) s = download->SetProperty(P::kUri, std::string(argv[1]));
  if (s.ok()) s = download->SetProperty(P::kLocalPath, std::string(argv[2]));
  if (s.ok()) s = download->SetProperty(P::kCallbackInterface, progress);
  if (s.ok()) s = download->Start();
  if (s.ok()) {
    int32_t error = progress->Wait();
    // The file appears at its local path only now.
    s = error != 0 ? ferry::Status(error, "the download failed") : download->Finalize();
  }
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    if (download) download->Abort();
    return 1;
  }
  std::printf("done: %s\n", argv[2]);
  return 0;
}
