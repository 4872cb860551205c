// train_cli.h: what `lmforge train` and `lmforge sft` share on the command line: every trainer
// config key as a flag, and the progress line / hooks printed while training.
#pragma once

#include <map>
#include <set>
#include <string>

#include "cli.h"
#include "train/trainer.h"

namespace lm::cli {

// Adds --key-with-dashes for every train::config_keys() entry not in `except`; the values land
// in *keys (a later flag wins), applied with train::set_config_key.
void add_train_config_flags(CLI::App* sub, std::map<std::string, std::string>* keys,
                            const std::set<std::string>& except = {});
// Applies them (after the --config file).
Status apply_train_config_flags(const std::map<std::string, std::string>& keys,
                                train::TrainConfig* cfg);

// llm.c's progress line of one step.
std::string train_progress_line(const train::StepMetrics& m);
// on_message to the log, on_step as progress lines on stderr (redrawn in place on a terminal).
train::TrainHooks train_progress_hooks(const train::TrainConfig* cfg);

}  // namespace lm::cli
