import { type BuiltinCase, describeAgainstOpa } from '../../helpers/builtin-oracle';

// Arguments of the wrong type come from `input`: as constants, `opa build` would refuse the module.
const input = { n: 1, obj: { a: 'b' }, mixed: ['a', 1], half: 1.5 };
const UNDEFINED = 'is undefined for operands OPA rejects';

const groups: Record<string, BuiltinCase[]> = {
  'matches any prefix or suffix of strings, arrays and sets': [
    { expr: 'strings.any_prefix_match("abc", "ab")' },
    { expr: 'strings.any_prefix_match(["x", "abc"], ["q", "ab"])' },
    { expr: 'strings.any_prefix_match({"x", "abc"}, {"zz"})' },
    { expr: 'strings.any_prefix_match("", "")' },
    { expr: 'strings.any_prefix_match([], "")' },
    { expr: 'strings.any_prefix_match("abc", [])' },
    { expr: 'strings.any_prefix_match("héllo", "hé")' },
    { expr: 'strings.any_suffix_match("abc", "bc")' },
    { expr: 'strings.any_suffix_match(["a.example.com", "b.org"], {".com", ".net"})' },
    { expr: 'strings.any_suffix_match("héllo😀", "😀")' },
    { expr: 'strings.any_suffix_match("abc", "")' },
    { expr: 'strings.any_suffix_match("abc", "abcd")' },
    { expr: 'strings.any_suffix_match(set(), "")' },
  ],
  'counts non-overlapping occurrences, and runes plus one for an empty substring': [
    { expr: 'strings.count("aaaa", "aa")' },
    { expr: 'strings.count("cheese", "e")' },
    { expr: 'strings.count("abc", "")' },
    { expr: 'strings.count("héllo😀", "")' },
    { expr: 'strings.count("", "")' },
    { expr: 'strings.count("abc", "x")' },
    { expr: 'strings.count("😀😀😀", "😀😀")' },
  ],
  'splits into the first n pieces, or the last |n| when n is negative': [
    { expr: 'strings.split_n("a,b,c", ",", 2)' },
    { expr: 'strings.split_n("a,b,c", ",", 1)' },
    { expr: 'strings.split_n("a,b,c", ",", 0)' },
    { expr: 'strings.split_n("a,b,c", ",", 3)' },
    { expr: 'strings.split_n("a,b,c", ",", 10)' },
    { expr: 'strings.split_n("a,b,c", ",", -1)' },
    { expr: 'strings.split_n("a,b,c", ",", -2)' },
    { expr: 'strings.split_n("a,b,c", ",", -5)' },
    { expr: 'strings.split_n("héllo", "", 3)' },
    { expr: 'strings.split_n("héllo", "", -2)' },
    { expr: 'strings.split_n("héllo", "", 0)' },
    { expr: 'strings.split_n("", "", 2)' },
    { expr: 'strings.split_n("", ",", 2)' },
    { expr: 'strings.split_n("", ",", -2)' },
    { expr: 'strings.split_n("a::b::", "::", 5)' },
    { expr: 'strings.split_n("a,b", ",", 2.0)' },
    { expr: 'strings.split_n("a,b", ",", 9223372036854775807)' },
  ],
  'finds every start of a substring, counted in runes': [
    { expr: 'indexof_n("héllo héllo", "é")' },
    { expr: 'indexof_n("aaa", "aa")' },
    { expr: 'indexof_n("😀a😀", "😀")' },
    { expr: 'indexof_n("abc", "x")' },
    { expr: 'indexof_n("", "x")' },
    { expr: 'indexof_n("ab", "abc")' },
  ],
  [UNDEFINED]: [
    { expr: 'indexof_n("aaa", "")' },
    { expr: 'indexof_n(input.n, "a")' },
    { expr: 'strings.split_n("a,b", ",", input.half)' },
    { expr: 'strings.split_n("a,b", input.n, 1)' },
    { expr: 'strings.count(input.n, "a")' },
    { expr: 'strings.any_prefix_match(input.mixed, "a")' },
    { expr: 'strings.any_prefix_match(input.obj, "a")' },
    { expr: 'strings.any_suffix_match("a", input.n)' },
  ],
};

describeAgainstOpa(groups, UNDEFINED, input);
