// `ferry stats [JOB] [--json]`: DO's statistics (do-download.md §3). Without
// JOB, the service's totals this month and all time (as Windows'
// Get-DeliveryOptimizationPerfSnap); with JOB, every file's figures (as
// Get-DeliveryOptimizationStatus).
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "cli/cli.h"

namespace ferry::cli {

// Adds the `stats` verb to `app`. `g` is read when the verb runs; its exit
// code goes to *exit_code.
void RegisterStatsCommand(CLI::App& app, const Globals& g, int* exit_code);

// The verb itself: `job` empty shows the service's totals.
int CmdStats(const Globals& g, const std::string& job);

}  // namespace ferry::cli
