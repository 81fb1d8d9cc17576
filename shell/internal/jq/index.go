package jq

import (
	"errors"
	"strings"

	"github.com/itchyny/gojq"
)

// jq names the key it could not index with ('Cannot index array with string "name"'); gojq's
// error ("expected an object but got: array ([…])") does not carry it, and gojq gives no hook
// into its indexing. So before compiling, rewrite rewrites every index by a key the filter
// spells out — .name, ."name", .["name"], ."\(…)", .[$k], and the {name} shorthand — into
//
//	try .name catch _imds_index_error("name")
//
// which indexes the same way (paths, assignment and ? included) and, on failure, raises jq's
// message with the key. An interpolated key is bound first, so that it is computed once from
// the same input as the index: ("\(…)" as $__imds_key | try .[$__imds_key] catch …). The try
// costs a filter that does nothing but index about 1.5 times the time (a function call in its
// place cost 6 times).
const (
	keyIndexError = "_imds_index_error"
	keyVar        = "$__imds_key"
)

// indexError is keyIndexError: v is what catch received, the message of gojq's index error
// (the body of the try is one index, which raises nothing else).
func indexError(v any, args []any) any {
	msg, _ := v.(string)
	key, _ := args[0].(string)
	if rest, ok := strings.CutPrefix(msg, "expected an object but got: "); ok {
		typ, _, _ := strings.Cut(rest, " ")
		// jq names keys shorter than 30 bytes, which are "probably from a jq .foo expression".
		if len(key) < 30 {
			return errors.New("Cannot index " + typ + ` with string "` + key + `"`)
		}
		return errors.New("Cannot index " + typ + " with string")
	}
	return errors.New(message(errors.New(msg)))
}

// rewrite prepares q in place for compiling, in one walk: every index by a spelled key as the
// comment on keyIndexError says, and every multiplication as guardMul's says.
func rewrite(q *gojq.Query) { walkQuery(q) }

// keyedIndex returns the term that replaces an index by a spelled key, and false for any other
// index (a number, a slice, an expression).
func keyedIndex(x *gojq.Index) (*gojq.Term, bool) {
	if x == nil || x.IsSlice || x.End != nil {
		return nil, false
	}
	if x.Name != "" || x.Str != nil && len(x.Str.Queries) == 0 {
		key := x.Name
		if x.Str != nil {
			key = x.Str.Str
		}
		return tryIndex(x, str(&gojq.String{Str: key})), true
	}
	if x.Str != nil {
		return bindKey(str(x.Str)), true
	}
	if x.Start == nil || x.Start.Term == nil || x.Start.Left != nil || len(x.Start.Term.SuffixList) > 0 {
		return nil, false
	}
	switch t := x.Start.Term; {
	case t.Type == gojq.TermTypeString && len(t.Str.Queries) == 0,
		t.Type == gojq.TermTypeFunc && strings.HasPrefix(t.Func.Name, "$") && len(t.Func.Args) == 0:
		return tryIndex(x, x.Start), true
	case t.Type == gojq.TermTypeString:
		return bindKey(x.Start), true
	}
	return nil, false
}

// tryIndex is try INDEX catch _imds_index_error(KEY), for a key that means the same in the
// catch, whose input is the error message: a literal or a variable.
func tryIndex(x *gojq.Index, key *gojq.Query) *gojq.Term {
	return &gojq.Term{Type: gojq.TermTypeTry, Try: &gojq.Try{
		Body:  &gojq.Query{Term: &gojq.Term{Type: gojq.TermTypeIndex, Index: x}},
		Catch: &gojq.Query{Term: &gojq.Term{Type: gojq.TermTypeFunc, Func: &gojq.Func{Name: keyIndexError, Args: []*gojq.Query{key}}}},
	}}
}

// bindKey is (KEY as $__imds_key | try .[$__imds_key] catch …), for a key computed from the
// input.
func bindKey(key *gojq.Query) *gojq.Term {
	v := &gojq.Query{Term: &gojq.Term{Type: gojq.TermTypeFunc, Func: &gojq.Func{Name: keyVar}}}
	return &gojq.Term{Type: gojq.TermTypeQuery, Query: &gojq.Query{
		Left: key, Op: gojq.OpPipe, Patterns: []*gojq.Pattern{{Name: keyVar}},
		Right: &gojq.Query{Term: tryIndex(&gojq.Index{Start: v}, v)},
	}}
}

func str(s *gojq.String) *gojq.Query {
	return &gojq.Query{Term: &gojq.Term{Type: gojq.TermTypeString, Str: s}}
}

func walkQuery(q *gojq.Query) {
	if q == nil {
		return
	}
	for _, fd := range q.FuncDefs {
		walkQuery(fd.Body)
	}
	walkTerm(q.Term)
	walkQuery(q.Left)
	walkQuery(q.Right)
	for _, p := range q.Patterns {
		walkPattern(p)
	}
	guardMul(q)
}

func walkPattern(p *gojq.Pattern) {
	for _, a := range p.Array {
		walkPattern(a)
	}
	for _, o := range p.Object {
		walkString(o.KeyString)
		walkQuery(o.KeyQuery)
		walkPattern(o.Val)
	}
}

func walkString(s *gojq.String) {
	if s != nil {
		for _, q := range s.Queries {
			walkQuery(q)
		}
	}
}

func walkIndex(x *gojq.Index) {
	if x != nil {
		walkString(x.Str)
		walkQuery(x.Start)
		walkQuery(x.End)
	}
}

// walkTerm rewrites t and everything in it.
func walkTerm(t *gojq.Term) {
	if t == nil {
		return
	}
	walkIndex(t.Index)
	if t.Func != nil {
		for _, a := range t.Func.Args {
			walkQuery(a)
		}
	}
	if t.Object != nil {
		for _, kv := range t.Object.KeyVals {
			walkString(kv.KeyString)
			walkQuery(kv.KeyQuery)
			walkQuery(kv.Val)
			if kv.Val == nil && kv.KeyQuery == nil && !strings.HasPrefix(kv.Key, "$") && !strings.HasPrefix(kv.Key, "@") {
				// {name} and {"name"} are {name: .name}.
				x := &gojq.Index{Name: kv.Key, Str: kv.KeyString}
				if kv.KeyString != nil {
					x.Name = ""
				}
				k, _ := keyedIndex(x)
				kv.Val = &gojq.Query{Term: k}
			}
		}
	}
	if t.Array != nil {
		walkQuery(t.Array.Query)
	}
	if t.Unary != nil {
		walkTerm(t.Unary.Term)
	}
	walkString(t.Str)
	if x := t.If; x != nil {
		walkQuery(x.Cond)
		walkQuery(x.Then)
		for _, e := range x.Elif {
			walkQuery(e.Cond)
			walkQuery(e.Then)
		}
		walkQuery(x.Else)
	}
	if x := t.Try; x != nil {
		walkQuery(x.Body)
		walkQuery(x.Catch)
	}
	if x := t.Reduce; x != nil {
		walkQuery(x.Query)
		for _, p := range x.Patterns {
			walkPattern(p)
		}
		walkQuery(x.Start)
		walkQuery(x.Update)
	}
	if x := t.Foreach; x != nil {
		walkQuery(x.Query)
		for _, p := range x.Patterns {
			walkPattern(p)
		}
		walkQuery(x.Start)
		walkQuery(x.Update)
		walkQuery(x.Extract)
	}
	if t.Label != nil {
		walkQuery(t.Label.Body)
	}
	walkQuery(t.Query)
	// The parts are rewritten; now the term itself, and then its suffixes, without walking
	// again into what replaced them.
	if t.Type == gojq.TermTypeIndex {
		if k, ok := keyedIndex(t.Index); ok {
			suffixes := t.SuffixList
			*t = *k
			t.SuffixList = suffixes
		}
	}
	walkSuffixes(t)
}

// walkSuffixes rewrites the suffixes of a term whose head is already rewritten. A term's
// suffixes apply in order, so a suffix index by a spelled key splits the term: what comes before
// it becomes the input of the call, and the suffixes after it apply to the call's result.
func walkSuffixes(t *gojq.Term) {
	for i, s := range t.SuffixList {
		walkIndex(s.Index)
		k, ok := keyedIndex(s.Index)
		if !ok {
			continue
		}
		head := *t
		head.SuffixList = t.SuffixList[:i]
		rest := t.SuffixList[i+1:]
		*t = gojq.Term{Type: gojq.TermTypeQuery, Query: &gojq.Query{
			Left: &gojq.Query{Term: &head}, Op: gojq.OpPipe, Right: &gojq.Query{Term: k},
		}}
		t.SuffixList = rest
		walkSuffixes(t)
		return
	}
}
