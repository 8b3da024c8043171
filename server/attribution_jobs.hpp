// AttributionJobs: the operator's batch attribution jobs behind the Thrift calls
// SubmitAttributionJob, JobStatus and JobResult (server/partnergraph.thrift,
// docs/serving.md "Attribution jobs"). A job reads journeys from a file on the server (a path
// file or a binary journey file) or a native dataset folder on the server, runs one model
// (RunAttributionJob, attribution_job.hpp) and keeps its result in memory for JobResult.
//
// Execution: `workers` background threads of this class run the jobs in submission order; the
// Thrift worker threads only submit and read. A job runs its oneTBB work in its own arena of
// `threads_per_job` threads. At most `max_queued` jobs wait (not yet running); one more is
// refused with Unavailable. Finished jobs (succeeded or failed) are kept, the newest
// `max_finished` of them; an older one is forgotten and its id answers NotFound.
//
// Destruction (server shutdown): queued jobs are dropped; running jobs are cancelled
// (AttributionOptions::cancel: reading a file and the heuristic models stop within a chunk; a
// Markov solve, Shapley, or loading a native dataset run to their end) and the destructor waits
// for them.
//
// Thread safety: every public method may be called from any number of threads at once.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "partnergraph/attribution/attribution_job.hpp"
#include "partnergraph/attribution/attribution_options.hpp"
#include "partnergraph/common/status.hpp"

namespace partnergraph::server {

struct AttributionJobsOptions {
  // Background threads running jobs (1..16).
  int workers = 1;
  // Jobs waiting to run at once (0..1000); a submission beyond is refused (Unavailable).
  int max_queued = 8;
  // oneTBB threads of one job (0: all cores). The default leaves a core to the Thrift workers
  // on the 2-core machine the project targets.
  int threads_per_job = 1;
  // Finished jobs kept for JobStatus / JobResult (>= 1).
  int max_finished = 64;
  // When non-empty: a job's journeys_path / data_dir must resolve (symbolic links and ".."
  // followed) to a place under this folder; anything else is InvalidArgument.
  std::filesystem::path input_root;
};

// OK, or InvalidArgument naming the first bad field.
Status ValidateAttributionJobsOptions(const AttributionJobsOptions& options);

enum class AttributionJobState { kQueued, kRunning, kSucceeded, kFailed };
std::string_view ToString(AttributionJobState state);

struct AttributionJobStatusView {
  std::string job_id;
  AttributionJobState state = AttributionJobState::kQueued;
  // 0..1: the bytes read (files) and the paths attributed; 1 once finished.
  double progress = 0.0;
  // The failure (state kFailed): the Status text, naming the file, line and field.
  std::string error;
  // Jobs ahead of this one in the queue (state kQueued), else 0.
  std::int64_t queue_position = 0;
};

class AttributionJobs {
 public:
  // `options` must be valid (ValidateAttributionJobsOptions); starts the worker threads.
  explicit AttributionJobs(AttributionJobsOptions options);
  ~AttributionJobs();
  AttributionJobs(const AttributionJobs&) = delete;
  AttributionJobs& operator=(const AttributionJobs&) = delete;

  // Queues a job (RunAttributionJob, attribution_job.hpp) and returns its id ("attr-<n>"). The
  // spec's input is a file (journeys_path) or a dataset folder (data_dir) on the server, loaded
  // with spec.load; spec.options.threads is replaced by threads_per_job and the report is not
  // written anywhere (it stays in memory for OutputOf). Errors: InvalidArgument naming the field
  // ("AttributionJobRequest.journeys_path ...", an option out of range, both or neither input,
  // an input that does not exist, is not a regular file / folder, or lies outside input_root);
  // Unavailable when max_queued jobs are already waiting or the service is shutting down.
  Result<std::string> Submit(AttributionJobSpec spec);
  // InvalidArgument for an empty id; NotFound for an id never given out or already forgotten.
  Result<AttributionJobStatusView> StatusOf(const std::string& job_id) const;
  // The result of a succeeded job (immutable, shared). NotFound as StatusOf(); Unavailable while
  // the job is queued or running; InvalidArgument ("job attr-3 failed: ...") for a failed job.
  Result<std::shared_ptr<const AttributionJobOutput>> OutputOf(const std::string& job_id) const;

  // One page of a succeeded job's SKU credits: rows [begin, end) of `total`, the channel credits
  // first, then the partner credits. The request checks of JobResult: InvalidArgument naming
  // AttributionJobResultRequest.job_id (empty), .page_size (0..kMaxResultPageSize) or .offset
  // (0..total); then OutputOf's errors.
  struct ResultPage {
    std::shared_ptr<const AttributionJobOutput> output;
    std::int64_t begin = 0;
    std::int64_t end = 0;
    std::int64_t total = 0;
    std::int64_t channel_rows = 0;  // rows below this are channel credits
  };
  static constexpr std::int64_t kMaxResultPageSize = 10000;
  Result<ResultPage> PageOf(const std::string& job_id, std::int64_t offset,
                            std::int64_t page_size) const;

 private:
  struct Job;
  void WorkerLoop();

  const AttributionJobsOptions options_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::atomic<bool> cancel_{false};  // set by the destructor; every job's options point here
  std::uint64_t next_id_ = 1;
  std::deque<std::shared_ptr<Job>> queue_;        // waiting, in submission order
  std::map<std::string, std::shared_ptr<Job>> jobs_;  // every known job by id
  std::deque<std::string> finished_;              // ids of finished jobs, oldest first
  std::vector<std::thread> workers_;
};

}  // namespace partnergraph::server
