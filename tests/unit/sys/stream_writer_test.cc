#include "sys/stream_writer.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "util/status_codes.h"

namespace ferry::sys {
namespace {

// An executor whose closures the test runs itself, with a bounded wait.
class TestLoop final : public Executor {
 public:
  void Post(std::function<void()> fn) override {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(fn));
    cv_.notify_all();
  }
  bool RunOne(std::chrono::seconds limit = std::chrono::seconds(20)) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, limit, [&] { return !queue_.empty(); })) return false;
    auto fn = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    fn();
    return true;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
};

std::vector<std::byte> Pattern(size_t n) {
  std::vector<std::byte> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<std::byte>((i * 7 + i / 251) & 0xFF);
  return v;
}

// A source over `data`; at most `max_read` bytes per read.
StreamWriter::Reader SourceOf(const std::vector<std::byte>& data, size_t max_read = SIZE_MAX) {
  return [&data, max_read](uint64_t off, std::span<std::byte> out) -> Result<size_t> {
    if (off >= data.size()) return size_t{0};
    size_t n = std::min({out.size(), max_read, static_cast<size_t>(data.size() - off)});
    std::memcpy(out.data(), data.data() + off, n);
    return n;
  };
}

std::vector<std::byte> ReadAll(int fd) {
  std::vector<std::byte> out;
  std::byte buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.insert(out.end(), buf, buf + n);
  }
  return out;
}

class StreamWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::signal(SIGPIPE, SIG_IGN);  // as ferryd does
    ASSERT_EQ(::pipe2(p_, O_CLOEXEC), 0);
  }
  void TearDown() override {
    if (p_[0] >= 0) ::close(p_[0]);
    if (p_[1] >= 0) ::close(p_[1]);
  }
  // Hands the write end to a writer.
  std::unique_ptr<StreamWriter> Start(StreamWriter::Reader read) {
    auto w = StreamWriter::Start(p_[1], std::move(read), loop_, [this](Status s) { done_ = s; });
    p_[1] = -1;
    EXPECT_TRUE(w.ok());
    return w.ok() ? std::move(w.value()) : nullptr;
  }
  int p_[2] = {-1, -1};
  TestLoop loop_;
  std::optional<Status> done_;
};

TEST_F(StreamWriterTest, WritesAGrowingSourceInOrderThroughAFullPipe) {
  // Four MiB through a 64 KiB pipe: the writer waits for the reader (backpressure)
  // and for each Offer; the reader gets every byte in order, then end-of-file.
  auto data = Pattern(4 << 20);
  auto w = Start(SourceOf(data, 10000));
  std::vector<std::byte> got;
  std::thread reader([&] { got = ReadAll(p_[0]); });
  for (size_t have = 0; have < data.size();) {
    have = std::min(data.size(), have + 300001);
    w->Offer(have, have == data.size());
  }
  ASSERT_TRUE(loop_.RunOne());
  reader.join();
  ASSERT_TRUE(done_.has_value());
  EXPECT_TRUE(done_->ok()) << done_->ToString();
  EXPECT_EQ(w->written(), data.size());
  EXPECT_TRUE(got == data);
}

TEST_F(StreamWriterTest, AShortReadWaitsForTheNextOffer) {
  // The source claims more than it holds (bytes still buffered elsewhere):
  // the writer takes what is there and continues at the next Offer.
  auto data = Pattern(100000);
  std::vector<std::byte> visible(data.begin(), data.begin() + 40000);
  std::mutex mu;
  auto read = [&](uint64_t off, std::span<std::byte> out) -> Result<size_t> {
    std::lock_guard<std::mutex> lock(mu);
    return SourceOf(visible)(off, out);
  };
  auto w = Start(read);
  std::vector<std::byte> got;
  std::thread reader([&] { got = ReadAll(p_[0]); });
  w->Offer(70000, false);
  {
    std::lock_guard<std::mutex> lock(mu);
    visible = data;
  }
  w->Offer(data.size(), true);
  ASSERT_TRUE(loop_.RunOne());
  reader.join();
  ASSERT_TRUE(done_.has_value() && done_->ok());
  EXPECT_TRUE(got == data);
}

TEST_F(StreamWriterTest, AReaderClosingMidStreamGivesBrokenPipe) {
  auto data = Pattern(1 << 20);
  auto w = Start(SourceOf(data));
  w->Offer(data.size(), true);
  std::byte buf[1000];
  ASSERT_GT(::read(p_[0], buf, sizeof buf), 0);
  ::close(p_[0]);
  p_[0] = -1;
  ASSERT_TRUE(loop_.RunOne());
  ASSERT_TRUE(done_.has_value());
  EXPECT_EQ(done_->code(), code::FromWin32(109)) << done_->ToString();
  EXPECT_LT(w->written(), data.size());
}

TEST_F(StreamWriterTest, AReaderClosingWhileIdleGivesBrokenPipe) {
  auto data = Pattern(1000);
  auto w = Start(SourceOf(data));
  w->Offer(500, false);
  std::byte buf[500];
  size_t have = 0;
  while (have < 500) {
    ssize_t n = ::read(p_[0], buf, 500 - have);
    ASSERT_GT(n, 0);
    have += static_cast<size_t>(n);
  }
  ::close(p_[0]);  // the writer waits for more: it notices the hang-up
  p_[0] = -1;
  ASSERT_TRUE(loop_.RunOne());
  ASSERT_TRUE(done_.has_value());
  EXPECT_EQ(done_->code(), code::FromWin32(109));
}

TEST_F(StreamWriterTest, DestroyingItWhileTheReaderStallsDoesNotHang) {
  auto data = Pattern(1 << 20);
  auto w = Start(SourceOf(data));
  w->Offer(data.size(), true);  // the pipe fills; nobody reads
  while (w->written() == 0) std::this_thread::yield();
  w.reset();  // must return: the thread never sleeps inside write(2)
  EXPECT_FALSE(done_.has_value());
  // The descriptor is closed: the reader gets what was written, then EOF.
  EXPECT_LT(ReadAll(p_[0]).size(), data.size());
}

TEST_F(StreamWriterTest, ASourceShorterThanItsFinalSizeIsAnError) {
  auto data = Pattern(1000);
  auto w = Start(SourceOf(data));
  std::thread reader([&] { ReadAll(p_[0]); });
  w->Offer(2000, true);
  ASSERT_TRUE(loop_.RunOne());
  reader.join();
  ASSERT_TRUE(done_.has_value());
  EXPECT_FALSE(done_->ok());
  EXPECT_EQ(w->written(), 1000u);
}

TEST_F(StreamWriterTest, ANegativeDescriptorIsInvalidArg) {
  static const std::vector<std::byte> kNone;
  auto w = StreamWriter::Start(-1, SourceOf(kNone), loop_, [](Status) {});
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), code::kInvalidArg);
}

}  // namespace
}  // namespace ferry::sys
