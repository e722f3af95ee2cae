// SHA-256 throughput of ferry's own wrapper (src/lib/crypto, OpenSSL EVP),
// on one thread: the hashing ferryd does while it verifies a download.
//
//   sha256_bench [--benchmark_filter=...] [--benchmark_format=json]
//
// BM_Sha256Update/N feeds N-byte chunks to one Sha256 object (as the engine
// does with its write buffer) and finishes the digest once per 64 MiB;
// BM_Sha256Hex/N is the one-shot helper. bytes_per_second is the figure
// that bench/run.py reports (target: >= 1.2 GiB/s).
#include <benchmark/benchmark.h>

#include <cstddef>
#include <random>
#include <vector>

#include "lib/crypto/sha256.h"

namespace {

std::vector<std::byte> RandomBytes(size_t n) {
  std::vector<std::byte> v(n);
  std::mt19937_64 rng(42);
  for (size_t i = 0; i < n; i += 8) {
    uint64_t x = rng();
    for (size_t j = 0; j < 8 && i + j < n; ++j) v[i + j] = static_cast<std::byte>(x >> (8 * j));
  }
  return v;
}

void BM_Sha256Update(benchmark::State& state) {
  const size_t chunk = static_cast<size_t>(state.range(0));
  std::vector<std::byte> data = RandomBytes(chunk);
  ferry::crypto::Sha256 h;
  size_t since_final = 0;
  for (auto _ : state) {
    h.Update(data);
    since_final += chunk;
    if (since_final >= (64u << 20)) {
      benchmark::DoNotOptimize(h.FinalHex());
      since_final = 0;
    }
  }
  benchmark::DoNotOptimize(h.FinalHex());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(chunk));
}
BENCHMARK(BM_Sha256Update)->Arg(16 << 10)->Arg(256 << 10)->Arg(1 << 20);

void BM_Sha256Hex(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  std::vector<std::byte> data = RandomBytes(n);
  for (auto _ : state) benchmark::DoNotOptimize(ferry::crypto::Sha256Hex(data));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(n));
}
BENCHMARK(BM_Sha256Hex)->Arg(64 << 10)->Arg(1 << 20);

}  // namespace

BENCHMARK_MAIN();
