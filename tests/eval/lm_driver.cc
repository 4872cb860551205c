// lm_driver.cc: runs open_model's LanguageModel on a JSONL file of requests and writes one JSON
// result per line, for the PyTorch oracle (lm_oracle.py) and the scoring benchmark
// (bench/eval/bench_eval.py). Request kinds: encode, loglikelihood, rolling, generate; each
// kind goes to the model in one call (in file order); stdout gets one JSON object of timings.
// Usage: lmforge_eval_lm_driver MODEL_DIR REQUESTS.jsonl OUT.jsonl [--tokenizer T]
//        [--threads N] [--batch-size B] [--no-share] [--repeat R]
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "eval/lm.h"

using namespace lm;
using nlohmann::json;

int fail(const Status& s) {
  std::cerr << "error: " << s.to_string() << "\n";
  return 1;
}

int main(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: lmforge_eval_lm_driver MODEL_DIR REQUESTS.jsonl OUT.jsonl [--tokenizer T] "
                 "[--threads N] [--batch-size B] [--no-share] [--repeat R]\n";
    return 2;
  }
  eval::ModelOptions o;
  o.path = argv[1];
  int repeat = 1;
  for (int i = 4; i < argc; i++) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--tokenizer")
      o.tokenizer = next();
    else if (a == "--threads")
      o.threads = std::stoi(next());
    else if (a == "--batch-size")
      o.batch_size = std::stoi(next());
    else if (a == "--no-share")
      o.share_prefixes = false;
    else if (a == "--repeat")
      repeat = std::stoi(next());
    else {
      std::cerr << "unknown option " << a << "\n";
      return 2;
    }
  }
  auto model = eval::open_model(o);
  if (!model.ok()) return fail(model.status());
  std::ifstream in(argv[2]);
  if (!in) {
    std::cerr << "error: cannot read " << argv[2] << "\n";
    return 1;
  }
  std::vector<json> reqs;
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) reqs.push_back(json::parse(line));
  std::vector<json> out(reqs.size());
  std::vector<eval::LoglikelihoodRequest> ll;
  std::vector<size_t> ll_at, roll_at, gen_at;
  std::vector<std::string> roll;
  std::vector<eval::GenerationRequest> gen;
  for (size_t i = 0; i < reqs.size(); i++) {
    const json& r = reqs[i];
    std::string type = r.at("type");
    if (type == "encode") {
      auto ids = (*model)->encode(r.at("text").get<std::string>());
      if (!ids.ok()) return fail(ids.status());
      out[i] = {{"ids", *ids}};
    } else if (type == "loglikelihood") {
      ll.push_back({r.at("context"), r.at("continuation"),
                    r.value("label", "line " + std::to_string(i + 1))});
      ll_at.push_back(i);
    } else if (type == "rolling") {
      roll.push_back(r.at("text"));
      roll_at.push_back(i);
    } else if (type == "generate") {
      eval::GenerationRequest g;
      g.context = r.at("context");
      g.kwargs.until = r.value("until", std::vector<std::string>{});
      g.kwargs.max_gen_toks = r.value("max_gen_toks", 256);
      g.kwargs.do_sample = r.value("do_sample", false);
      g.kwargs.temperature = r.value("temperature", 0.0);
      g.kwargs.top_k = r.value("top_k", 0);
      g.kwargs.top_p = r.value("top_p", 1.0);
      g.samples = r.value("samples", 1);
      g.seed = r.value("seed", 0);
      g.label = "line " + std::to_string(i + 1);
      gen.push_back(g);
      gen_at.push_back(i);
    } else {
      std::cerr << "error: line " << i + 1 << ": unknown type " << type << "\n";
      return 1;
    }
  }
  json timing = json::object();
  auto timed = [&](const char* name, size_t n, auto&& fn) -> Status {
    double best = 1e300;
    for (int rep = 0; rep < repeat; rep++) {
      auto t0 = std::chrono::steady_clock::now();
      LM_RETURN_IF_ERROR(fn());
      best = std::min(best,
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    timing[name] = {{"requests", n}, {"seconds", best}};
    return ok_status();
  };
  if (!ll.empty()) {
    Status s = timed("loglikelihood", ll.size(), [&]() -> Status {
      LM_ASSIGN_OR_RETURN(auto res, (*model)->loglikelihood(ll));
      for (size_t j = 0; j < res.size(); j++) {
        std::vector<bool> g(res[j].token_greedy.begin(), res[j].token_greedy.end());
        out[ll_at[j]] = {{"logprob", res[j].logprob},
                         {"is_greedy", res[j].is_greedy},
                         {"tokens", res[j].tokens},
                         {"token_logprobs", res[j].token_logprobs},
                         {"token_greedy", g}};
      }
      return ok_status();
    });
    if (!s.ok()) return fail(s);
  }
  if (!roll.empty()) {
    Status s = timed("rolling", roll.size(), [&]() -> Status {
      LM_ASSIGN_OR_RETURN(auto res, (*model)->loglikelihood_rolling(roll));
      for (size_t j = 0; j < res.size(); j++)
        out[roll_at[j]] = {
            {"logprob", res[j].logprob}, {"tokens", res[j].tokens}, {"windows", res[j].windows}};
      return ok_status();
    });
    if (!s.ok()) return fail(s);
  }
  if (!gen.empty()) {
    Status s = timed("generate", gen.size(), [&]() -> Status {
      LM_ASSIGN_OR_RETURN(auto res, (*model)->generate_until(gen));
      for (size_t j = 0; j < res.size(); j++) out[gen_at[j]] = {{"strings", res[j]}};
      return ok_status();
    });
    if (!s.ok()) return fail(s);
  }
  std::ofstream f(argv[3]);
  for (const json& j : out) f << j.dump() << "\n";
  const eval::ModelInfo& info = (*model)->info();
  timing["model"] = {{"format", info.format}, {"params", info.params},
                     {"n_ctx", info.n_ctx},   {"vocab_size", info.vocab_size},
                     {"eot", info.eot},       {"tokenizer", info.tokenizer}};
  std::cout << timing.dump() << "\n";
  return f ? 0 : 1;
}
