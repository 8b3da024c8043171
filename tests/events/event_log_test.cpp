// EventLog on a real RocksDB in a temporary folder: order, durability across reopen and kill -9,
// idempotent retries (sequential and concurrent), all-or-nothing batches, the hooks.
#include "partnergraph/events/event_log.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "events/event_test_util.hpp"
#include "test_paths.hpp"

namespace partnergraph {
namespace {

constexpr Timestamp kTs = 1'780'000'000;

// A batch of `n` consent events with ids "<prefix>-0".."<prefix>-(n-1)".
std::vector<Event> ConsentBatch(const std::string& prefix, std::size_t n) {
  std::vector<Event> batch;
  for (std::size_t i = 0; i < n; ++i) {
    batch.push_back(
        {prefix + "-" + std::to_string(i),
         testing::Consent("c" + std::to_string(i), "m1", ConsentStatus::kUnsubscribed, kTs)});
  }
  return batch;
}

std::vector<std::pair<EventSequence, Event>> ReplayAll(const EventLog& log, EventSequence after) {
  std::vector<std::pair<EventSequence, Event>> out;
  REQUIRE(log.Replay(after,
                     [&](EventSequence seq, const Event& e) {
                       out.emplace_back(seq, e);
                       return Status::Ok();
                     })
              .ok());
  return out;
}

std::unique_ptr<EventLog> OpenOrFail(const std::filesystem::path& dir, EventHooks hooks = {}) {
  auto log = EventLog::Open(dir, {}, std::move(hooks));
  INFO(log.status().message());
  REQUIRE(log.ok());
  return std::move(log).value();
}

}  // namespace

TEST_CASE("events are numbered from 1 in order, replayed in order, and survive a reopen",
          "[events]") {
  const auto dir = testing::FreshTempDir("event_log_order");
  const std::vector<Event> batch = testing::OneEventOfEachKind(kTs);
  {
    auto log = OpenOrFail(dir);
    CHECK(log->last_sequence() == 0);
    Result<AppendResult> r = log->Append(batch);
    REQUIRE(r.ok());
    CHECK(r->sequences == std::vector<EventSequence>{1, 2, 3, 4, 5, 6, 7});
    CHECK(r->new_events == 7);
    CHECK(r->last_sequence == 7);
    CHECK(log->last_sequence() == 7);
  }
  auto log = OpenOrFail(dir);
  CHECK(log->last_sequence() == 7);
  const auto all = ReplayAll(*log, 0);
  REQUIRE(all.size() == 7);
  for (std::size_t i = 0; i < all.size(); ++i) {
    CHECK(all[i].first == i + 1);
    CHECK(all[i].second == batch[i]);
  }
  const auto tail = ReplayAll(*log, 5);
  REQUIRE(tail.size() == 2);
  CHECK(tail[0].first == 6);
  CHECK(ReplayAll(*log, 7).empty());
  CHECK(ReplayAll(*log, 100).empty());
}

TEST_CASE("a retried batch is acknowledged with its first sequences and not recorded again",
          "[events]") {
  const auto dir = testing::FreshTempDir("event_log_retry");
  std::vector<EventSequence> applied;
  EventHooks hooks;
  hooks.apply = [&](EventSequence s, const Event&) { applied.push_back(s); };
  auto log = OpenOrFail(dir, hooks);
  const std::vector<Event> first = ConsentBatch("a", 3);
  REQUIRE(log->Append(first).ok());

  Result<AppendResult> again = log->Append(first);
  REQUIRE(again.ok());
  CHECK(again->sequences == std::vector<EventSequence>{1, 2, 3});
  CHECK(again->duplicate == std::vector<bool>{true, true, true});
  CHECK(again->new_events == 0);
  CHECK(log->last_sequence() == 3);

  // Half old, half new: only the new ones are recorded, in batch order.
  std::vector<Event> mixed = ConsentBatch("b", 2);
  mixed.insert(mixed.begin() + 1, first[2]);
  Result<AppendResult> m = log->Append(mixed);
  REQUIRE(m.ok());
  CHECK(m->sequences == std::vector<EventSequence>{4, 3, 5});
  CHECK(m->duplicate == std::vector<bool>{false, true, false});
  CHECK(applied == std::vector<EventSequence>{1, 2, 3, 4, 5});

  SECTION("an id reused with other content refuses the whole batch") {
    std::vector<Event> reuse = ConsentBatch("c", 2);
    reuse.push_back(first[0]);
    std::get<ConsentChangeEvent>(reuse[2].body).status = ConsentStatus::kDoubleOptIn;
    Result<AppendResult> r = log->Append(reuse);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Status::Code::kInvalidArgument);
    CHECK(r.status().message() ==
          "events[2].event_id: \"a-0\" was recorded at sequence 1 with other content");
    CHECK(log->last_sequence() == 5);
    CHECK(applied.size() == 5);
  }
  SECTION("an id twice in one batch, an empty batch and an oversized one are refused") {
    std::vector<Event> twice = ConsentBatch("d", 2);
    twice.push_back(twice[0]);
    CHECK(log->Append(twice).status().message() == "events[2].event_id: \"d-0\" repeats events[0]");
    CHECK(log->Append(std::vector<Event>{}).status().message() == "events: the batch is empty");
    CHECK(log->last_sequence() == 5);
  }
}

TEST_CASE("a batch the check refuses is neither recorded nor applied, the others are", "[events]") {
  const auto dir = testing::FreshTempDir("event_log_check");
  std::vector<std::string> applied;
  EventHooks hooks{
      .check =
          [](std::span<const Event> batch, const std::vector<bool>& recorded) {
            for (std::size_t i = 0; i < batch.size(); ++i) {
              if (!recorded[i] && std::get<ConsentChangeEvent>(batch[i].body).merchant_id != "m1") {
                return Status::NotFound("events[" + std::to_string(i) + "].merchant_id: unknown");
              }
            }
            return Status::Ok();
          },
      .apply = [&](EventSequence, const Event& e) { applied.push_back(e.event_id); }};
  auto log = OpenOrFail(dir, hooks);
  std::vector<Event> bad = ConsentBatch("x", 3);
  std::get<ConsentChangeEvent>(bad[1].body).merchant_id = "m404";
  CHECK(log->Append(bad).status().message() == "events[1].merchant_id: unknown");
  CHECK(log->last_sequence() == 0);
  CHECK(applied.empty());
  REQUIRE(log->Append(ConsentBatch("y", 1)).ok());
  CHECK(applied == std::vector<std::string>{"y-0"});
  CHECK(ReplayAll(*log, 0).size() == 1);
  // The check is told which events are retries: y-0 again, beside a new event, passes it.
  std::vector<Event> retry = ConsentBatch("y", 2);
  auto again = log->Append(retry);
  REQUIRE(again.ok());
  CHECK(again->duplicate == std::vector<bool>{true, false});
  CHECK(applied == std::vector<std::string>{"y-0", "y-1"});
}

TEST_CASE(
    "8 threads appending and retrying at once: each event recorded and applied once, in "
    "sequence order",
    "[events]") {
  const auto dir = testing::FreshTempDir("event_log_concurrent");
  std::mutex mu;
  std::vector<std::pair<EventSequence, std::string>> applied;
  EventHooks hooks;
  hooks.apply = [&](EventSequence s, const Event& e) {
    std::lock_guard lock(mu);
    applied.emplace_back(s, e.event_id);
  };
  auto log = OpenOrFail(dir, hooks);
  constexpr int kThreads = 8, kBatches = 60, kPerBatch = 5;
  std::atomic<int> failures = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int b = 0; b < kBatches; ++b) {
        // Threads t and t^1 send the same batches: concurrent retries of one batch.
        const auto batch =
            ConsentBatch("t" + std::to_string(t / 2) + "b" + std::to_string(b), kPerBatch);
        Result<AppendResult> r = log->Append(batch);
        if (!r.ok() || r->sequences.size() != kPerBatch) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failures == 0);
  const std::size_t unique = kThreads / 2 * kBatches * kPerBatch;
  CHECK(log->last_sequence() == unique);
  REQUIRE(applied.size() == unique);
  std::set<std::string> ids;
  for (std::size_t i = 0; i < applied.size(); ++i) {
    CHECK(applied[i].first == i + 1);
    ids.insert(applied[i].second);
  }
  CHECK(ids.size() == unique);
  const auto replayed = ReplayAll(*log, 0);
  REQUIRE(replayed.size() == unique);
  for (std::size_t i = 0; i < unique; ++i) CHECK(replayed[i].second.event_id == applied[i].second);
}

TEST_CASE("a second open of a log in use is refused as unavailable", "[events]") {
  const auto dir = testing::FreshTempDir("event_log_locked");
  auto log = OpenOrFail(dir);
  Result<std::unique_ptr<EventLog>> second = EventLog::Open(dir);
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().code() == Status::Code::kUnavailable);
  CHECK_THAT(second.status().message(), Catch::Contains(dir.string()));
}

// A child process appends batches from 4 threads and reports each acknowledged batch on a pipe;
// the parent kills it with SIGKILL at a random moment, reopens the log and checks that every
// acknowledged event is there exactly once, with no gap in the sequences.
TEST_CASE("kill -9 while appending loses no acknowledged event and records none twice",
          "[events]") {
  const auto dir = testing::FreshTempDir("event_log_kill");
  std::mt19937 rng(7);
  std::set<std::string> acked;
  constexpr int kRounds = 3;
  for (int round = 0; round < kRounds; ++round) {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      close(fds[0]);
      auto log = EventLog::Open(dir);
      if (!log.ok()) _exit(3);
      std::vector<std::thread> threads;
      for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
          for (int b = 0;; ++b) {
            const std::string prefix =
                "r" + std::to_string(round) + "t" + std::to_string(t) + "b" + std::to_string(b);
            if (!(*log)->Append(ConsentBatch(prefix, 10)).ok()) _exit(4);
            const std::string line = prefix + "\n";
            if (write(fds[1], line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
              _exit(5);
            }
          }
        });
      }
      for (auto& th : threads) th.join();
      _exit(0);
    }
    close(fds[1]);
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(std::uniform_int_distribution(30, 300)(rng));
    const std::size_t acked_before = acked.size();
    std::FILE* in = fdopen(fds[0], "r");
    char buf[256];
    bool killed = false;
    while (std::fgets(buf, sizeof buf, in) != nullptr) {
      std::string prefix(buf);
      prefix.pop_back();
      for (int i = 0; i < 10; ++i) acked.insert(prefix + "-" + std::to_string(i));
      if (!killed && std::chrono::steady_clock::now() >= deadline) {
        kill(child, SIGKILL);
        killed = true;
      }
    }
    std::fclose(in);
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    REQUIRE(WIFSIGNALED(status));

    auto log = OpenOrFail(dir);
    std::map<std::string, int> seen;
    EventSequence expected = 1;
    REQUIRE(log->Replay(0,
                        [&](EventSequence seq, const Event& e) {
                          CHECK(seq == expected++);
                          ++seen[e.event_id];
                          return Status::Ok();
                        })
                .ok());
    CHECK(log->last_sequence() == expected - 1);
    std::size_t missing = 0, twice = 0;
    for (const auto& id : acked) missing += seen.count(id) == 0;
    for (const auto& [id, n] : seen) twice += n > 1;
    INFO("round " << round << ": " << acked.size() << " acknowledged, " << seen.size()
                  << " in the log");
    CHECK(missing == 0);
    CHECK(twice == 0);
    CHECK(acked.size() > acked_before);  // the child got to acknowledge batches this round
  }
}

}  // namespace partnergraph
