// Reference kernels of RNN, GRU and LSTM. One driver walks directions, batch entries (each with
// its own sequence length) and time steps; a per-op cell turns the gate pre-activations into the
// next hidden (and cell) state. Everything is computed in double.
#include <algorithm>
#include <cmath>
#include <optional>

#include "backends/reference/kernel.h"
#include "backends/reference/rnn_activations.h"
#include "backends/reference/store_doubles.h"
#include "core/thread_pool.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

namespace {

// The op's inputs as doubles, with the layout (time-major 0, batch-major 1) resolved by index
// helpers. Absent B, initial states and P read as zeros.
struct RecurrentProblem {
  int64_t seq = 0, batch = 0, input_size = 0, hidden = 0, num_dirs = 1, gates = 1;
  int64_t layout = 0;
  std::vector<double> x, w, r, b, h0, c0, p;
  std::vector<int64_t> lens;

  const double* x_at(int64_t t, int64_t n) const {
    return x.data() + (layout == 0 ? t * batch + n : n * seq + t) * input_size;
  }
  size_t state_at(int64_t d, int64_t n) const {
    return static_cast<size_t>((layout == 0 ? d * batch + n : n * num_dirs + d) * hidden);
  }
  size_t y_at(int64_t t, int64_t d, int64_t n) const {
    return static_cast<size_t>((layout == 0 ? (t * num_dirs + d) * batch + n : (n * seq + t) * num_dirs + d) * hidden);
  }
};

// What a cell sees for one step of one direction: gate pre-activations split into the input
// part (W x + Wb) and the recurrent part (R h + Rb), the direction's weights for cells that need
// them, and its activations.
struct StepInputs {
  const double* xw;  // gates * hidden
  const double* hr;  // gates * hidden
  const double* r;   // R of this direction, [gates * hidden, hidden]
  const double* rb;  // recurrent bias of this direction, gates * hidden
  const double* p;   // peepholes of this direction, 3 * hidden
  const std::vector<RnnActivation>& f;
  std::optional<double> clip;
  int64_t hidden;

  double clipped(double v) const { return clip ? std::clamp(v, -*clip, *clip) : v; }
};

// Updates h (and c for LSTM) in place from one step's inputs.
using CellFn = std::function<void(const StepInputs&, std::vector<double>& h, std::vector<double>& c)>;

void rnn_cell(const StepInputs& s, std::vector<double>& h, std::vector<double>&) {
  for (int64_t j = 0; j < s.hidden; ++j) h[static_cast<size_t>(j)] = s.f[0](s.clipped(s.xw[j] + s.hr[j]));
}

// Gates z, r, h. Without linear_before_reset the reset gate scales h before R is applied.
CellFn gru_cell(bool linear_before_reset) {
  return [linear_before_reset](const StepInputs& s, std::vector<double>& h, std::vector<double>&) {
    const int64_t n = s.hidden;
    std::vector<double> z(static_cast<size_t>(n)), reset_h(static_cast<size_t>(n)), r(static_cast<size_t>(n));
    for (int64_t j = 0; j < n; ++j) {
      z[static_cast<size_t>(j)] = s.f[0](s.clipped(s.xw[j] + s.hr[j]));
      r[static_cast<size_t>(j)] = s.f[0](s.clipped(s.xw[n + j] + s.hr[n + j]));
      reset_h[static_cast<size_t>(j)] = r[static_cast<size_t>(j)] * h[static_cast<size_t>(j)];
    }
    std::vector<double> next(static_cast<size_t>(n));
    for (int64_t j = 0; j < n; ++j) {
      double recurrent;
      if (linear_before_reset) {
        recurrent = r[static_cast<size_t>(j)] * s.hr[2 * n + j];
      } else {
        const double* row = s.r + (2 * n + j) * n;
        recurrent = s.rb[2 * n + j];
        for (int64_t k = 0; k < n; ++k) recurrent += row[k] * reset_h[static_cast<size_t>(k)];
      }
      const double candidate = s.f[1](s.clipped(s.xw[2 * n + j] + recurrent));
      const double zj = z[static_cast<size_t>(j)];
      next[static_cast<size_t>(j)] = (1.0 - zj) * candidate + zj * h[static_cast<size_t>(j)];
    }
    h = std::move(next);
  };
}

// Gates i, o, f, c; peepholes i, o, f. input_forget couples the forget gate to 1 - input gate.
CellFn lstm_cell(bool input_forget) {
  return [input_forget](const StepInputs& s, std::vector<double>& h, std::vector<double>& c) {
    const int64_t n = s.hidden;
    for (int64_t j = 0; j < n; ++j) {
      const size_t k = static_cast<size_t>(j);
      const double in = s.f[0](s.clipped(s.xw[j] + s.hr[j] + s.p[j] * c[k]));
      const double forget =
          input_forget ? 1.0 - in : s.f[0](s.clipped(s.xw[2 * n + j] + s.hr[2 * n + j] + s.p[2 * n + j] * c[k]));
      const double candidate = s.f[1](s.clipped(s.xw[3 * n + j] + s.hr[3 * n + j]));
      c[k] = forget * c[k] + in * candidate;
      const double out = s.f[0](s.clipped(s.xw[n + j] + s.hr[n + j] + s.p[n + j] * c[k]));
      h[k] = out * s.f[2](c[k]);
    }
  };
}

Expected<std::vector<double>> optional_doubles(const KernelContext& ctx, int i, size_t zeros) {
  if (!ctx.has_input(i)) return std::vector<double>(zeros, 0.0);
  return tensor_to_doubles(ctx.input(i));
}

Expected<RecurrentProblem> read_problem(const KernelContext& ctx, int64_t gates) {
  RecurrentProblem p;
  const Tensor& x = ctx.input(0);
  p.layout = ctx.node().attr_int("layout");
  p.seq = x.dim(p.layout == 0 ? 0 : 1);
  p.batch = x.dim(p.layout == 0 ? 1 : 0);
  p.input_size = x.dim(2);
  p.hidden = ctx.input(2).dim(2);
  p.num_dirs = ctx.input(1).dim(0);
  p.gates = gates;
  const size_t state = static_cast<size_t>(p.num_dirs * p.batch * p.hidden);
  KILN_ASSIGN_OR_RETURN(p.x, tensor_to_doubles(x));
  KILN_ASSIGN_OR_RETURN(p.w, tensor_to_doubles(ctx.input(1)));
  KILN_ASSIGN_OR_RETURN(p.r, tensor_to_doubles(ctx.input(2)));
  KILN_ASSIGN_OR_RETURN(p.b, optional_doubles(ctx, 3, static_cast<size_t>(p.num_dirs * 2 * gates * p.hidden)));
  KILN_ASSIGN_OR_RETURN(p.h0, optional_doubles(ctx, 5, state));
  if (gates == 4) {
    KILN_ASSIGN_OR_RETURN(p.c0, optional_doubles(ctx, 6, state));
    KILN_ASSIGN_OR_RETURN(p.p, optional_doubles(ctx, 7, static_cast<size_t>(p.num_dirs * 3 * p.hidden)));
  } else {
    p.c0.assign(state, 0.0);
    p.p.assign(static_cast<size_t>(p.num_dirs * 3 * p.hidden), 0.0);
  }
  p.lens.assign(static_cast<size_t>(p.batch), p.seq);
  if (ctx.has_input(4)) {
    KILN_ASSIGN_OR_RETURN(p.lens, tensor_to_int64s(ctx.input(4)));
    for (int64_t len : p.lens)
      if (len < 0 || len > p.seq) return out_of_range("sequence length {} is outside [0, {}]", len, p.seq);
  }
  return p;
}

// Default activations per cell: RNN Tanh; GRU Sigmoid, Tanh; LSTM Sigmoid, Tanh, Tanh.
std::vector<std::string> default_activations(int64_t gates) {
  if (gates == 1) return {"Tanh"};
  if (gates == 3) return {"Sigmoid", "Tanh"};
  return {"Sigmoid", "Tanh", "Tanh"};
}

Status run_recurrent(KernelContext& ctx, int64_t gates, const CellFn& cell) {
  KILN_ASSIGN_OR_RETURN(RecurrentProblem p, read_problem(ctx, gates));
  const Node& node = ctx.node();
  const std::string direction = node.attr_string("direction");
  const Attribute* names_attr = node.attr("activations");
  std::vector<std::string> names = names_attr ? names_attr->strings : std::vector<std::string>{};
  const size_t per_cell = default_activations(gates).size();
  if (names.empty()) names = default_activations(gates);
  KILN_ASSIGN_OR_RETURN(auto activations,
                        parse_rnn_activations(names, node.attr_floats("activation_alpha"), node.attr_floats("activation_beta")));
  std::optional<double> clip;
  if (node.has_attr("clip")) clip = node.attr_float("clip");

  const int64_t n = p.hidden, rows = gates * p.hidden;
  std::vector<double> y(static_cast<size_t>(p.seq * p.num_dirs * p.batch * n), 0.0);
  std::vector<double> y_h(p.h0.size()), y_c(p.c0.size());
  for (int64_t d = 0; d < p.num_dirs; ++d) {
    const bool reverse = direction == "reverse" || d == 1;
    // One list of names serves every direction; a list per direction gives each its own.
    const size_t first_fn = names.size() >= 2 * per_cell ? static_cast<size_t>(d) * per_cell : 0;
    const std::vector<RnnActivation> f(activations.begin() + static_cast<ptrdiff_t>(first_fn),
                                       activations.begin() + static_cast<ptrdiff_t>(first_fn + per_cell));
    const double* w = p.w.data() + d * rows * p.input_size;
    const double* r = p.r.data() + d * rows * n;
    const double* wb = p.b.data() + d * 2 * rows;
    const double* rb = wb + rows;
    const double* peep = p.p.data() + d * 3 * n;
    parallel_for(p.batch, 1, [&](int64_t begin, int64_t end) {
      std::vector<double> xw(static_cast<size_t>(rows)), hr(static_cast<size_t>(rows));
      for (int64_t b = begin; b < end; ++b) {
        const size_t s0 = p.state_at(d, b);
        std::vector<double> h(p.h0.begin() + static_cast<ptrdiff_t>(s0), p.h0.begin() + static_cast<ptrdiff_t>(s0 + static_cast<size_t>(n)));
        std::vector<double> c(p.c0.begin() + static_cast<ptrdiff_t>(s0), p.c0.begin() + static_cast<ptrdiff_t>(s0 + static_cast<size_t>(n)));
        const int64_t len = p.lens[static_cast<size_t>(b)];
        for (int64_t step = 0; step < len; ++step) {
          const int64_t t = reverse ? len - 1 - step : step;
          const double* xt = p.x_at(t, b);
          for (int64_t g = 0; g < rows; ++g) {
            double a = wb[g], bsum = rb[g];
            for (int64_t k = 0; k < p.input_size; ++k) a += w[g * p.input_size + k] * xt[k];
            for (int64_t k = 0; k < n; ++k) bsum += r[g * n + k] * h[static_cast<size_t>(k)];
            xw[static_cast<size_t>(g)] = a;
            hr[static_cast<size_t>(g)] = bsum;
          }
          cell(StepInputs{xw.data(), hr.data(), r, rb, peep, f, clip, n}, h, c);
          std::copy(h.begin(), h.end(), y.begin() + static_cast<ptrdiff_t>(p.y_at(t, d, b)));
        }
        std::copy(h.begin(), h.end(), y_h.begin() + static_cast<ptrdiff_t>(s0));
        std::copy(c.begin(), c.end(), y_c.begin() + static_cast<ptrdiff_t>(s0));
      }
    });
  }
  KILN_RETURN_IF_ERROR(store_doubles(y, ctx.output(0)));
  if (ctx.num_outputs() > 1) KILN_RETURN_IF_ERROR(store_doubles(y_h, ctx.output(1)));
  if (ctx.num_outputs() > 2) KILN_RETURN_IF_ERROR(store_doubles(y_c, ctx.output(2)));
  return Status::Ok();
}

}  // namespace

void register_rnn_kernels(KernelRegistry& r) {
  r.add("RNN", [](KernelContext& ctx) { return run_recurrent(ctx, 1, rnn_cell); });
  r.add("GRU", [](KernelContext& ctx) {
    return run_recurrent(ctx, 3, gru_cell(ctx.node().attr_int("linear_before_reset") != 0));
  });
  r.add("LSTM", [](KernelContext& ctx) {
    return run_recurrent(ctx, 4, lstm_cell(ctx.node().attr_int("input_forget") != 0));
  });
}

}  // namespace kiln
