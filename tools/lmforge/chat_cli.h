// chat_cli.h: one chat turn for `lmforge generate --chat` (implemented in cmd_chat.cc): the
// prompt as a user turn through the chat template, the reply streamed to stdout.
#pragma once

#include <string>

#include "core/status.h"
#include "generate/generate.h"

namespace lm::cli {

Status run_chat_turn(const std::string& checkpoint, const std::string& prompt,
                     const generate::GenerateOptions& gen, bool json);

}  // namespace lm::cli
