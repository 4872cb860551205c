// estimate.cc: run_estimate glues the counting, memory and time models together; study_table
// builds the 10B / 100B / 1T rows of the study notes (plus GPT-3 175B, whose "3.5 TB" the notes
// quote) on the hardware the notes recommend, trained on 2T tokens (the notes: open models use
// 2T-3T tokens), mixed precision, ZeRO-3, selective recompute with TP 8 + SP from 100B up.
#include "estimate/estimate.h"

#include <cmath>

namespace lm::estimate {

Result<EstimateResult> run_estimate(const EstimateInput& in_arg) {
  EstimateInput in = in_arg;
  LM_RETURN_IF_ERROR(validate_shape(in.shape));
  const int64_t split = in.setup.par.tp * in.setup.par.pp;
  if (in.gpus < 1 || split < 1 || in.gpus % split != 0) {
    return Status(Code::kInvalidArgument,
                  fmt::format("--gpus {} is not a multiple of tp {} x pp {}", in.gpus,
                              in.setup.par.tp, in.setup.par.pp),
                  "choose --gpus = data-parallel degree x tp x pp");
  }
  in.setup.par.dp = in.gpus / split;
  LM_RETURN_IF_ERROR(validate_setup(in.setup));
  if (!(in.mfu > 0 && in.mfu <= 1))
    return invalid_argument("--mfu must be in (0, 1], got {}", in.mfu);
  if (!(in.params >= 0) || !(in.tokens >= 0)) {
    return invalid_argument("--params and --tokens must be positive (got {} and {})", in.params,
                            in.tokens);
  }
  EstimateResult r;
  r.params = count_params(in.shape);
  if (in.params > 0) {  // a given total wins; the shape only sets attention and activations
    r.params.total = in.params;
    r.params.non_embedding = std::max(0.0, in.params - r.params.embedding);
  }
  r.tokens = in.tokens > 0 ? in.tokens : 20 * r.params.total;
  ModelShape fs = in.shape;
  ParamCount pc = r.params;
  if (in.params > 0) pc.total = in.params + static_cast<double>(fs.seq_len) * fs.n_embd;
  r.flops_6n = flops_per_token(fs, pc, FlopConvention::k6N);
  r.flops_kaplan = flops_per_token(fs, pc, FlopConvention::kKaplan);
  r.flops_palm = flops_per_token(fs, pc, FlopConvention::kPalm);
  r.flops_per_token = flops_per_token(fs, pc, in.convention);
  r.total_flops = r.flops_per_token * r.tokens;
  r.memory = memory_per_gpu(r.params.total, in.shape, in.setup);
  r.memory_with_overhead = r.memory.total() * (1 + in.overhead);
  r.fits = r.memory_with_overhead <= in.gpu.memory_bytes;
  r.min_gpus = min_gpus(r.params.total, in.shape, in.setup, in.gpu.memory_bytes, in.overhead);
  TrainSetup z3 = in.setup;
  z3.par.zero_stage = 3;
  r.min_gpus_zero3 = min_gpus(r.params.total, in.shape, z3, in.gpu.memory_bytes, in.overhead);
  double peak = in.setup.precision == Precision::kFp32 ? in.gpu.peak_fp32 : in.gpu.peak_bf16;
  r.time = train_time(r.total_flops, in.gpus, peak, in.mfu);
  return r;
}

namespace {

struct RowSpec {
  const char* label;
  double params;
  int64_t layers, width, tp;
  int64_t gpus;
  const char* gpu;
  const char* hardware;
  const char* time;
};

}  // namespace

Result<std::vector<StudyRow>> study_table() {
  const RowSpec specs[] = {
      {"10B", 10e9, 40, 4608, 1, 100, "a100-80g", "80GB/GPU x 100+ (100x A100 80G NVLink)",
       "2-6 months"},
      {"100B", 100e9, 80, 10240, 8, 1000, "h100", "80GB/GPU x 1000+ (1000x H100 + InfiniBand)",
       "6-12 months"},
      {"1T", 1e12, 128, 25600, 8, 10000, "tpu-v4",
       "model parallel + memory optimisation (10k-chip cluster, e.g. TPU pod)", "over 1 year"},
      {"175B (GPT-3)", 175e9, 96, 12288, 8, 1024, "a100-80g", "thousand-card A100 (notes: ~3.5 TB)",
       "-"},
  };
  std::vector<StudyRow> rows;
  for (const auto& sp : specs) {
    StudyRow row;
    row.label = sp.label;
    row.notes_hardware = sp.hardware;
    row.notes_time = sp.time;
    EstimateInput& in = row.input;
    in.shape.n_layer = sp.layers;
    in.shape.n_embd = sp.width;
    in.shape.n_head = sp.width / 128;
    in.params = sp.params;
    in.tokens = 2e12;
    in.gpus = sp.gpus;
    LM_ASSIGN_OR_RETURN(in.gpu, find_gpu(sp.gpu));
    in.setup.precision = Precision::kMixed;
    in.setup.recompute = Recompute::kSelective;
    in.setup.par.zero_stage = 3;
    in.setup.par.tp = sp.tp;
    in.setup.par.sequence_parallel = sp.tp > 1;
    LM_ASSIGN_OR_RETURN(row.result, run_estimate(in));
    row.model_states_bytes = bytes_per_param(Precision::kMixed).total() * sp.params;
    row.notes_formula_bytes = sp.params * (16 + 8) / 8.0;  // batch 1; the notes divide by 1024^3
    row.seconds_at_100pct =
        train_time(row.result.total_flops, sp.gpus, in.gpu.peak_bf16, 1.0).seconds;
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<std::string> study_formula_explanation() {
  return {
      "The notes: memory(GB) ~ params x (16 bit + 8 bit gradient) / (8 x 1024^3) x batch size; "
      "175B 'needs about 3.5 TB'.",
      "1. It counts 3 bytes per parameter: 175e9 x 3 B = 525 GB = 489 GiB at batch 1. Reaching "
      "3.5 TB needs batch ~6.7, so the 3.5 TB does not follow from the formula.",
      "2. It multiplies model states by the batch size. Weights, gradients and optimizer states do "
      "not depend on batch; activations do, but they scale with s, h, a, L and b "
      "(Korthikanti: sbh(34 + 5as/h) bytes per layer), not with the parameter count.",
      "3. Mixed-precision Adam keeps bf16 weights (2) + bf16 gradients (2) + fp32 master, m, v "
      "(12) "
      "= 16 B/param (ZeRO paper): 175B -> 2.80 TB (2.547 TiB) of model states, 3.15 TB with fp32 "
      "gradients. 3.5 TB = 20 B/param, i.e. 16-18 B/param plus activations and buffers: right "
      "order of magnitude by coincidence.",
      "Ours: model states = bytes/param(precision, optimizer) x params / (ZeRO sharding x TP x PP) "
      "+ Korthikanti activations x L x micro-batch / parallelism, + 5-20% for buffers.",
  };
}

nlohmann::json estimate_json(const EstimateInput& in, const EstimateResult& r) {
  auto opt = [](const std::optional<int64_t>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json();
  };
  return {{"params", r.params.total},
          {"params_non_embedding", r.params.non_embedding},
          {"tokens", r.tokens},
          {"flops", r.total_flops},
          {"flops_per_token", r.flops_per_token},
          {"flops_convention", flop_convention_name(in.convention)},
          {"flops_per_token_by_convention",
           {{"6N", r.flops_6n}, {"kaplan", r.flops_kaplan}, {"palm", r.flops_palm}}},
          {"memory",
           {{"weights", r.memory.weights},
            {"gradients", r.memory.gradients},
            {"optimizer", r.memory.optimizer},
            {"activations", r.memory.activations},
            {"total", r.memory.total()}}},
          {"memory_with_overhead", r.memory_with_overhead},
          {"gpu", in.gpu.name},
          {"gpu_memory", in.gpu.memory_bytes},
          {"gpus", in.gpus},
          {"fits", r.fits},
          {"min_gpus", opt(r.min_gpus)},
          {"min_gpus_zero3", opt(r.min_gpus_zero3)},
          {"time", r.time.seconds},
          {"gpu_hours", r.time.gpu_hours}};
}

nlohmann::json study_row_json(const StudyRow& r) {
  return {{"label", r.label},
          {"params", r.input.params},
          {"tokens", r.result.tokens},
          {"model_states", r.model_states_bytes},
          {"memory_per_gpu", r.result.memory_with_overhead},
          {"gpus", r.input.gpus},
          {"gpu", r.input.gpu.name},
          {"fits", r.result.fits},
          {"min_gpus", r.result.min_gpus ? nlohmann::json(*r.result.min_gpus) : nlohmann::json()},
          {"seconds_100pct", r.seconds_at_100pct},
          {"seconds_40pct", r.result.time.seconds},
          {"notes_formula_bytes_batch1", r.notes_formula_bytes},
          {"notes_hardware", r.notes_hardware},
          {"notes_time", r.notes_time}};
}

}  // namespace lm::estimate
