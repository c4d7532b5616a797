#include "ir/ops/einsum_equation.h"

#include <algorithm>
#include <cctype>

namespace kiln {

namespace {

int letter_id(char c) { return std::islower(static_cast<unsigned char>(c)) ? c - 'a' : 26 + (c - 'A'); }

struct Term {
  std::vector<int> letters_before;  // letter ids before the ellipsis (all of them when none)
  std::vector<int> letters_after;
  bool has_ellipsis = false;
};

Expected<Term> parse_term(const std::string& text) {
  Term t;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == ' ') continue;
    if (c == '.') {
      if (t.has_ellipsis || text.compare(i, 3, "...") != 0)
        return invalid_argument("einsum term '{}' has a '.' that is not part of one '...'", text);
      t.has_ellipsis = true;
      i += 2;
      continue;
    }
    if (!std::isalpha(static_cast<unsigned char>(c)))
      return invalid_argument("einsum term '{}' has the character '{}', expected letters or '...'", text, c);
    (t.has_ellipsis ? t.letters_after : t.letters_before).push_back(letter_id(c));
  }
  return t;
}

}  // namespace

Expected<EinsumLabels> resolve_einsum(const std::string& equation, const std::vector<int>& input_ranks) {
  const size_t arrow = equation.find("->");
  const std::string lhs = equation.substr(0, arrow);
  std::vector<Term> terms;
  size_t start = 0;
  for (;;) {
    const size_t comma = lhs.find(',', start);
    KILN_ASSIGN_OR_RETURN(Term t, parse_term(lhs.substr(start, comma == std::string::npos ? comma : comma - start)));
    terms.push_back(std::move(t));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (terms.size() != input_ranks.size())
    return invalid_argument("equation '{}' names {} operand(s) but the node has {} input(s)", equation, terms.size(),
                            input_ranks.size());
  EinsumLabels out;
  int ellipsis_rank = 0;
  std::vector<int> ellipsis_ranks;
  for (size_t k = 0; k < terms.size(); ++k) {
    const Term& t = terms[k];
    const int letters = static_cast<int>(t.letters_before.size() + t.letters_after.size());
    const int rest = input_ranks[k] - letters;
    if (rest < 0 || (!t.has_ellipsis && rest != 0))
      return invalid_argument("einsum term {} of '{}' names {} axes but input {} has rank {}", k, equation, letters, k,
                              input_ranks[k]);
    ellipsis_ranks.push_back(rest);
    ellipsis_rank = std::max(ellipsis_rank, rest);
  }
  auto ellipsis_labels = [&](int count) {
    std::vector<int> ids;
    for (int i = ellipsis_rank - count; i < ellipsis_rank; ++i) ids.push_back(EinsumLabels::kFirstEllipsisLabel + i);
    return ids;
  };
  std::vector<int> count(52, 0);
  for (size_t k = 0; k < terms.size(); ++k) {
    std::vector<int> axes = terms[k].letters_before;
    for (int id : ellipsis_labels(ellipsis_ranks[k])) axes.push_back(id);
    axes.insert(axes.end(), terms[k].letters_after.begin(), terms[k].letters_after.end());
    for (int id : axes)
      if (id < 52) ++count[static_cast<size_t>(id)];
    out.inputs.push_back(std::move(axes));
  }
  if (arrow != std::string::npos) {
    KILN_ASSIGN_OR_RETURN(Term t, parse_term(equation.substr(arrow + 2)));
    out.output = t.letters_before;
    if (t.has_ellipsis)
      for (int id : ellipsis_labels(ellipsis_rank)) out.output.push_back(id);
    out.output.insert(out.output.end(), t.letters_after.begin(), t.letters_after.end());
    for (size_t i = 0; i < out.output.size(); ++i) {
      const int id = out.output[i];
      if (id < 52 && count[static_cast<size_t>(id)] == 0)
        return invalid_argument("equation '{}': output label {} appears in no input", equation,
                                static_cast<char>(id < 26 ? 'a' + id : 'A' + id - 26));
      if (std::count(out.output.begin(), out.output.end(), id) > 1)
        return invalid_argument("equation '{}' repeats an output label", equation);
    }
  } else {
    // Implicit output: the ellipsis axes, then the letters used once, in alphabetical order
    // (numpy orders upper case before lower case).
    out.output = ellipsis_labels(ellipsis_rank);
    for (int id = 26; id < 52; ++id)
      if (count[static_cast<size_t>(id)] == 1) out.output.push_back(id);
    for (int id = 0; id < 26; ++id)
      if (count[static_cast<size_t>(id)] == 1) out.output.push_back(id);
  }
  out.num_labels = EinsumLabels::kFirstEllipsisLabel + ellipsis_rank;
  return out;
}

}  // namespace kiln
