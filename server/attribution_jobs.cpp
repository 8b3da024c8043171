#include "attribution_jobs.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <system_error>
#include <utility>

#include "partnergraph/common/progress.hpp"

namespace partnergraph::server {

// One job. `spec` and `id` are set before the job is shared; `state`, `error` and `output` are
// guarded by AttributionJobs::mu_; `progress` / `current` / `stage` (the running job's progress)
// are written by the worker running it, through RunAttributionJob's observer calls, and read
// under mu_.
struct AttributionJobs::Job final : AttributionJobObserver {
  std::string id;
  AttributionJobSpec spec;
  AttributionJobState state = AttributionJobState::kQueued;
  std::string error;
  std::shared_ptr<const AttributionJobOutput> output;
  // Progress of the running job: stage 0 reading (bytes), stage 1.. attributing (paths).
  // Weighted 0.5 / 0.5 for files; native data: loading counts as nothing, then two halves for
  // the channel and the partner view.
  // The Progress objects live as long as the job, so a reader holding the job may follow
  // `current` at any time.
  std::vector<std::unique_ptr<Progress>> progress;
  std::atomic<Progress*> current{nullptr};
  std::atomic<int> stage{0};
  static constexpr int kStages = 2;

  // A new Progress of `total` units for `stage`, made current (worker thread only).
  Progress* Begin(int at_stage, std::uint64_t total) {
    progress.push_back(std::make_unique<Progress>("attribution job " + id, total));
    stage = at_stage;
    current = progress.back().get();
    return progress.back().get();
  }

  Progress* StageStarted(AttributionJobStage started, const std::string& /*label*/,
                         std::uint64_t total) override {
    switch (started) {
      case AttributionJobStage::kReadingFile:
      case AttributionJobStage::kCountingFile:
      case AttributionJobStage::kAttributingChannels:
        return Begin(0, total);
      case AttributionJobStage::kAttributing:
      case AttributionJobStage::kAttributingPartners:
        return Begin(1, total);
      case AttributionJobStage::kSolvingChain:
        // The counted file stays `current` (all done): the solve shows as nearly finished.
        stage = 1;
        return nullptr;
    }
    return nullptr;
  }
};

namespace {

constexpr const char* kRequest = "AttributionJobRequest.";

Status CheckRange(const char* field, std::int64_t value, std::int64_t lo, std::int64_t hi) {
  if (value >= lo && value <= hi) return Status::Ok();
  return Status::InvalidArgument(
      fmt::format("attribution jobs option {} = {} is out of range {}..{}", field, value, lo, hi));
}

// The canonical form of `path` and whether it lies under `root` (canonical too).
Status CheckInput(const std::string& field, const std::string& path, bool want_folder,
                  const std::filesystem::path& root) {
  const std::string name = std::string(kRequest) + field;
  if (path.empty()) return Status::InvalidArgument(name + " is empty");
  std::error_code ec;
  const std::filesystem::path canonical = std::filesystem::canonical(path, ec);
  if (ec) {
    return Status::InvalidArgument(name + " \"" + path + "\": " + ec.message());
  }
  const bool ok_kind = want_folder ? std::filesystem::is_directory(canonical, ec)
                                   : std::filesystem::is_regular_file(canonical, ec);
  if (!ok_kind) {
    return Status::InvalidArgument(name + " \"" + path + "\" is not " +
                                   (want_folder ? "a folder" : "a regular file"));
  }
  if (!root.empty()) {
    const std::filesystem::path croot = std::filesystem::weakly_canonical(root, ec);
    auto [r, p] = std::mismatch(croot.begin(), croot.end(), canonical.begin(), canonical.end());
    if (ec || r != croot.end()) {
      return Status::InvalidArgument(name + " \"" + path +
                                     "\" is outside the server's attribution input folder");
    }
  }
  return Status::Ok();
}

}  // namespace

std::string_view ToString(AttributionJobState state) {
  switch (state) {
    case AttributionJobState::kQueued: return "queued";
    case AttributionJobState::kRunning: return "running";
    case AttributionJobState::kSucceeded: return "succeeded";
    case AttributionJobState::kFailed: return "failed";
  }
  return "unknown";
}

Status ValidateAttributionJobsOptions(const AttributionJobsOptions& o) {
  PG_RETURN_IF_ERROR(CheckRange("workers (--attribution-workers)", o.workers, 1, 16));
  PG_RETURN_IF_ERROR(CheckRange("max_queued (--attribution-queue)", o.max_queued, 0, 1000));
  PG_RETURN_IF_ERROR(CheckRange("threads_per_job (--attribution-threads)", o.threads_per_job, 0, 256));
  PG_RETURN_IF_ERROR(CheckRange("max_finished (--attribution-keep)", o.max_finished, 1, 100000));
  return Status::Ok();
}

AttributionJobs::AttributionJobs(AttributionJobsOptions options) : options_(std::move(options)) {
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

AttributionJobs::~AttributionJobs() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    queue_.clear();
  }
  cancel_ = true;
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

Result<std::string> AttributionJobs::Submit(AttributionJobSpec spec) {
  if (spec.journeys_path.empty() == spec.data_dir.empty()) {
    return Status::InvalidArgument(std::string(kRequest) +
                                   "journeys_path / data_dir: set exactly one of them");
  }
  spec.options.threads = options_.threads_per_job;
  spec.options.cancel = &cancel_;
  spec.report = AttributionReportSink::kNone;
  spec.transitions_path.clear();
  if (Status s = ValidateAttributionOptions(spec.options); !s.ok()) {
    return Status::InvalidArgument(std::string(kRequest) + "options: " + s.message());
  }
  if (!spec.journeys_path.empty()) {
    PG_RETURN_IF_ERROR(CheckInput("journeys_path", spec.journeys_path, false, options_.input_root));
  } else {
    PG_RETURN_IF_ERROR(CheckInput("data_dir", spec.data_dir, true, options_.input_root));
  }
  auto job = std::make_shared<Job>();
  job->spec = std::move(spec);
  {
    std::lock_guard lock(mu_);
    if (stopping_) return Status::Unavailable("the server is shutting down; no new jobs");
    if (queue_.size() >= static_cast<std::size_t>(options_.max_queued)) {
      return Status::Unavailable(fmt::format(
          "attribution job queue is full ({} jobs waiting); try again later", options_.max_queued));
    }
    job->id = "attr-" + std::to_string(next_id_++);
    jobs_.emplace(job->id, job);
    queue_.push_back(job);
  }
  wake_.notify_one();
  spdlog::info("attribution job {} queued: model {}{} on {}", job->id,
               ToString(job->spec.options.model),
               job->spec.options.model == AttributionModel::kMarkov
                   ? fmt::format(" order {}", job->spec.options.markov_order)
                   : std::string(),
               job->spec.journeys_path.empty() ? job->spec.data_dir : job->spec.journeys_path);
  return job->id;
}

Result<AttributionJobStatusView> AttributionJobs::StatusOf(const std::string& job_id) const {
  if (job_id.empty()) return Status::InvalidArgument("job_id is empty");
  std::lock_guard lock(mu_);
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) {
    return Status::NotFound(
        fmt::format("attribution job \"{}\" is not known (the newest {} finished jobs are kept)",
                    job_id, options_.max_finished));
  }
  const Job& job = *it->second;
  AttributionJobStatusView v;
  v.job_id = job.id;
  v.state = job.state;
  v.error = job.error;
  switch (job.state) {
    case AttributionJobState::kQueued: {
      const auto pos = std::find(queue_.begin(), queue_.end(), it->second);
      v.queue_position = pos - queue_.begin();
      break;
    }
    case AttributionJobState::kRunning: {
      const int stage = job.stage.load();
      double within = 0;
      if (const Progress* p = job.current.load(); p != nullptr && p->total() > 0) {
        within = std::min(1.0, static_cast<double>(p->done()) / static_cast<double>(p->total()));
      }
      // Never report 1 before the job has finished.
      v.progress = std::min(0.999, (stage + within) / Job::kStages);
      break;
    }
    case AttributionJobState::kSucceeded:
    case AttributionJobState::kFailed:
      v.progress = 1.0;
      break;
  }
  return v;
}

Result<std::shared_ptr<const AttributionJobOutput>> AttributionJobs::OutputOf(
    const std::string& job_id) const {
  std::lock_guard lock(mu_);
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return Status::NotFound("attribution job \"" + job_id + "\" is not known");
  const Job& job = *it->second;
  switch (job.state) {
    case AttributionJobState::kSucceeded:
      return job.output;
    case AttributionJobState::kFailed:
      return Status::InvalidArgument("attribution job " + job_id + " failed: " + job.error);
    default:
      return Status::Unavailable("attribution job " + job_id + " is " +
                                 std::string(ToString(job.state)) +
                                 "; poll JobStatus until it has succeeded");
  }
}

Result<AttributionJobs::ResultPage> AttributionJobs::PageOf(const std::string& job_id,
                                                            std::int64_t offset,
                                                            std::int64_t page_size) const {
  auto out_of_range = [](std::string_view field, std::int64_t value, std::int64_t hi) {
    return Status::InvalidArgument(
        fmt::format("AttributionJobResultRequest.{} = {} is out of range 0..{}", field, value, hi));
  };
  if (job_id.empty()) return Status::InvalidArgument("AttributionJobResultRequest.job_id is empty");
  if (page_size < 0 || page_size > kMaxResultPageSize) {
    return out_of_range("page_size", page_size, kMaxResultPageSize);
  }
  ResultPage page;
  PG_ASSIGN_OR_RETURN(page.output, OutputOf(job_id));
  page.channel_rows = static_cast<std::int64_t>(page.output->by_channel.sku_credits.size());
  page.total = page.channel_rows;
  if (page.output->by_partner) {
    page.total += static_cast<std::int64_t>(page.output->by_partner->sku_credits.size());
  }
  if (offset < 0 || offset > page.total) return out_of_range("offset", offset, page.total);
  page.begin = offset;
  page.end = std::min(page.total, offset + page_size);
  return page;
}

void AttributionJobs::WorkerLoop() {
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = queue_.front();
      queue_.pop_front();
      job->state = AttributionJobState::kRunning;
    }
    Result<AttributionJobOutput> out = Status::Internal("job did not run");
    try {
      out = RunAttributionJob(job->spec, job.get());
    } catch (const std::exception& e) {
      // Status is the module's error channel; an exception is resource exhaustion or a bug.
      out = Status::Internal(std::string("exception: ") + e.what());
    }
    std::lock_guard lock(mu_);
    job->current = nullptr;
    if (out.ok()) {
      job->output = std::make_shared<const AttributionJobOutput>(std::move(out).value());
      job->state = AttributionJobState::kSucceeded;
      spdlog::info("attribution job {} succeeded", job->id);
    } else {
      job->error = out.status().ToString();
      job->state = AttributionJobState::kFailed;
      spdlog::warn("attribution job {} failed: {}", job->id, job->error);
    }
    finished_.push_back(job->id);
    while (finished_.size() > static_cast<std::size_t>(options_.max_finished)) {
      jobs_.erase(finished_.front());
      finished_.pop_front();
    }
  }
}

}  // namespace partnergraph::server
