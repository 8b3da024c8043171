// FixtureEngine: a test-only Engine with fixed answers shaped like datasets/tiny (six merchants,
// m_bakery's right partners m_florist and m_wine; m_bakery2 a competitor, m_hardware blocked,
// m_cheese opted out; m_wine does not share overlaps). It exercises the server's plumbing while
// Engine::Open is being written, and stays for the cases a real model cannot produce:
//   GetMerchant("fault:internal")        -> Corruption (the server must answer Unavailable)
//   ListMerchants(page_token "stale")    -> NotFound (ListMerchants does not declare NotFound)
//   RecommendPartners sleeps delay_ms once its request has passed the Engine's checks (to hold
//   calls in flight during a shutdown test).
//
// Thread safety: immutable after construction; every method may run concurrently.
#pragma once

#include <filesystem>
#include <memory>

#include "partnergraph/engine/engine.hpp"

namespace partnergraph::testing {

struct FixtureEngineOptions {
  // Milliseconds RecommendPartners waits before answering.
  int delay_ms = 0;
};

// IOError when `model_dir` does not exist (so that the server's load-failure path can be tested).
Result<std::shared_ptr<const Engine>> OpenFixtureEngine(const std::filesystem::path& model_dir,
                                                        const FixtureEngineOptions& options = {});

}  // namespace partnergraph::testing
