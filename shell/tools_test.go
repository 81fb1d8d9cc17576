package shell_test

import (
	"testing"
)

func TestJQ(t *testing.T) {
	runCases(t, plain, []shellCase{
		{name: "ok/identity-pretty", script: `echo '{"b":[1,2],"a":{"c":null}}' | jq .`, stdout: "{\n  \"a\": {\n    \"c\": null\n  },\n  \"b\": [\n    1,\n    2\n  ]\n}\n"},
		{name: "ok/no-filter-means-dot", script: `echo '[]' | jq`, stdout: "[]\n"},
		{name: "ok/raw", script: `echo '{"access_token":"abc"}' | jq -r '(.access_token)'`, stdout: "abc\n"},
		{name: "ok/missing-field-is-null", script: `echo '{"a":1}' | jq -r '(.identity_token)'`, stdout: "null\n"},
		{name: "ok/compact", script: `echo '{"a": [1, {"b": 2}]}' | jq -c .a`, stdout: "[1,{\"b\":2}]\n"},
		{name: "ok/stream-of-values", script: `printf '1 2\n3' | jq -c '. * 2'`, stdout: "2\n4\n6\n"},
		{name: "ok/null-input", script: `jq -n '1+1'`, stdout: "2\n"},
		// jq 1.7 prints values deeper than 256 levels as "<skipped: too deep>"; the emulator's
		// jq once printed them whole, in a size that grows with the square of the depth.
		{name: "ok/too-deep-is-skipped", script: `jq -nc 'reduce range(256) as $i (0; [.])' | grep -c skipped; jq -nc 'reduce range(257) as $i (0; [.])' | tr -d '[]'; jq -n 'reduce range(300000) as $i (0; [.])' | wc -l`,
			stdout: "0\n<skipped: too deep>\n515\n"},
		{name: "ok/arg", script: `jq -n --arg x hi --argjson n 3 '{x:$x,n:$n}' -c`, stdout: "{\"n\":3,\"x\":\"hi\"}\n"},
		{name: "ok/slurp", script: `printf '1\n2\n' | jq -s -c .`, stdout: "[1,2]\n"},
		{name: "ok/raw-input", script: `printf 'a\nb\n' | jq -R .`, stdout: "\"a\"\n\"b\"\n"},
		{name: "ok/file-operand", script: `echo '{"x":5}' > f.json; jq .x f.json`, stdout: "5\n"},
		{name: "ok/env", script: `export V=7; jq -n -r 'env.V, $ENV.V'`, stdout: "7\n7\n"},
		{name: "ok/exit-status-true", script: `echo '{"a":true}' | jq -e .a`, stdout: "true\n"},
		{name: "ok/empty-input", script: `printf '' | jq -r .access_token; echo $?`, stdout: "0\n"},
		{name: "fail/exit-status-null", script: `echo '{}' | jq -e .a`, status: 1, stdout: "null\n"},
		{name: "fail/exit-status-no-output", script: `echo '[]' | jq -e '.[]'`, status: 4},
		{name: "fail/bad-json-word", script: `echo 'Not Found' | jq .`, status: 2, stderr: "jq: parse error: Invalid numeric literal at line 1, column 4\n"},
		{name: "fail/bad-json-literal", script: `echo 'nul' | jq .`, status: 2, stderr: "jq: parse error: Invalid literal at line 2, column 0\n"},
		{name: "fail/bad-json-number", script: `echo 'hello' | jq .`, status: 2, stderr: "jq: parse error: Invalid numeric literal at line 2, column 0\n"},
		{name: "fail/truncated-json", script: `printf '{"a":1' | jq .a`, status: 2, stderr: "jq: parse error: Unfinished JSON term at EOF at line 1, column 6\n"},
		{name: "fail/truncated-json-newline", script: `echo '{"a":' | jq .`, status: 2, stderr: "jq: parse error: Unfinished JSON term at EOF at line 2, column 0\n"},
		{name: "fail/html-error-page", script: `echo '<html>' | jq .`, status: 2, stderr: "jq: parse error: Invalid numeric literal at line 2, column 0"},
		{name: "fail/values-before-error-print", script: `printf '1 x' | jq .`, status: 2, stdout: "1\n", stderr: "jq: parse error: Invalid numeric literal at EOF at line 1, column 3"},
		{name: "fail/runtime-error", script: `echo '"s"' | jq .a`, status: 5, stderr: "jq: error (at <stdin>:1): Cannot index string with string"},
		{name: "fail/compile-error", script: `jq -n '.a['`, status: 3, stderr: "jq: 1 compile error"},
		{name: "fail/missing-file", script: `jq . nope.json`, status: 2, stderr: "jq: error: Could not open file nope.json: No such file or directory"},
		{name: "fail/unknown-option", script: `jq --bogus .`, status: 2, stderr: "jq: Unknown option --bogus"},
	})
}

func TestTextTools(t *testing.T) {
	runCases(t, plain, []shellCase{
		// GNU base64 -d decodes what it can of unpadded input, then complains.
		{name: "ok/base64-roundtrip", script: `echo -n 'hello world' | base64; echo aGVsbG8gd29ybGQ= | base64 --decode`, stdout: "aGVsbG8gd29ybGQ=\nhello world"},
		{name: "ok/base64-wrap", script: `head -c 60 /dev/null; printf '%060d' 0 | base64 | wc -l; printf '%060d' 0 | base64 -w0 | wc -l`, stdout: "2\n0\n"}, // GNU base64 -w0 ends without a newline
		{name: "fail/base64-unpadded", script: `printf 'SGVsbG8' | base64 -d`, status: 1, stdout: "Hello", stderr: "base64: invalid input\n"},
		{name: "fail/base64-url-alphabet", script: `printf 'YWJj-ZGVm' | base64 -d`, status: 1, stdout: "abc", stderr: "base64: invalid input\n"},
		{name: "fail/base64-placeholder", script: `echo "<TOKEN>" | base64 --decode`, status: 1, stderr: "base64: invalid input\n"},
		{name: "ok/cut-fields", script: `echo a.b.c | cut -d '.' -f 2; echo a.b.c | cut -d. -f1,3; echo a:b:c | cut -d: -f2-`, stdout: "b\na.c\nb:c\n"},
		{name: "ok/cut-no-delimiter-prints-line", script: `echo "<TOKEN>" | cut -d '.' -f 2; echo x | cut -s -d. -f1`, stdout: "<TOKEN>\n"},
		{name: "ok/cut-chars", script: `echo abcdef | cut -c 2-4`, stdout: "bcd\n"},
		{name: "fail/cut-no-list", script: `echo a | cut -d.`, status: 1, stderr: "cut: you must specify a list of bytes, characters, or fields"},
		{name: "fail/cut-bad-delimiter", script: `echo a | cut -d ab -f1`, status: 1, stderr: "cut: the delimiter must be a single character"},
		{name: "ok/tr", script: `echo 'a-b_c' | tr '_-' '/+'; echo hello | tr a-z A-Z; echo 'a  b' | tr -s ' '; echo abc | tr -d b; echo -n x | tr -d '\n'`, stdout: "a+b/c\nHELLO\na b\nac\nx"},
		{name: "ok/head-tail", script: `seq 10 > n; head -n 2 n; head -3 n | tail -1; tail -n 2 n; tail -n +9 n; head -c 3 n`, stdout: "1\n2\n3\n9\n10\n9\n10\n1\n2"},
		{name: "ok/wc", script: `printf 'a b\nc\n' > f; wc -l < f; wc -w f; wc f; printf 'a b\nc\n' | wc`, stdout: "2\n3 f\n2 3 6 f\n      2       3       6\n"},
		{name: "ok/grep", script: `printf 'Alpha\nbeta\ngamma\n' > f; grep -i alpha f; grep -c a f; grep -v '^A' f; grep -n '^g' f; grep -o 'et.' f; grep -E 'ph|mm' f; grep -q zzz f; echo $?`, stdout: "Alpha\n3\nbeta\ngamma\n3:gamma\neta\nAlpha\ngamma\n1\n"},
		{name: "fail/grep-missing-file", script: `grep x nope`, status: 2, stderr: "grep: nope: No such file or directory"},
		{name: "ok/sed", script: `echo 'hello world' | sed 's/o/0/g'; echo 'a.b' | sed -e 's/\./-/'; printf '1\n2\n3\n' | sed -n '2p'; printf '1\n2\n3\n' | sed '/2/d'; echo abc | sed -E 's/(b)/[\1]/'`, stdout: "hell0 w0rld\na-b\n2\n1\n3\na[b]c\n"},
		{name: "ok/sort-uniq", script: `printf 'b\na\nb\n' | sort | uniq -c; printf '10\n9\n' | sort -n`, stdout: "      1 a\n      2 b\n9\n10\n"},
		{name: "ok/awk-documented", script: "printf 'A\\r\\n\\nB\\n' > f.csr; awk 'NF {sub(/\\r/, \"\"); printf \"%s\\\\n\",$0;}' f.csr", stdout: `A\nB\n`},
		{name: "ok/awk-fields", script: `echo 'a b c' | awk '{print $2}'; echo 'a:b' | awk -F: '{print $2}'; awk -v x=1 'BEGIN{print x+1}'`, stdout: "b\nb\n2\n"},
		{name: "fail/awk-missing-file", script: `awk '{print}' nope`, status: 2, stderr: "awk: cannot open \"nope\" (No such file or directory)"},
		{name: "fail/awk-syntax", script: `awk '{print'`, status: 2, stderr: "awk: line 1:"},
		{name: "fail/awk-no-system", script: `awk 'BEGIN{system("ls")}'`, status: 2, stderr: "system()"},
		{name: "ok/tee-and-ls", script: `echo x | tee a b > /dev/null; ls; ls | cat; cat b`, stdout: "a  b\na\nb\nx\n"},
		{name: "ok/cp-mv-rm", script: `echo x > a; cp a b; mv b c; rm a; ls; rm c; ls`, stdout: "c\n"},
		// mv used to move the root away, which left the session without files; and
		// ls -l showed directories as "dwxr-xr-x".
		{name: "fail/mv-root", script: `mv / /x; ls -l / | head -n 2`, status: 0, stdout: "total 0\ndrwxr-xr-x 1 root root  4096 Mar 12 12:34 dev\n", stderr: "mv: cannot move '/' to '/x': Device or resource busy"},
		{name: "ok/date-format", script: `date -u +%Y-%m-%dT%H:%M:%SZ; date -d @0 +%s`, stdout: "2026-03-12T12:34:56Z\n0\n"},
		{name: "fail/sleep-bad", script: `sleep abc`, status: 1, stderr: "sleep: invalid time interval 'abc'"},
		{name: "ok/seq-streams", script: `seq 200000 | tail -n 1; seq 1e9 | head -n 2; seq -s , 3`, stdout: "200000\n1\n2\n1,2,3\n"},
		{name: "ok/wc-counts-without-splitting", script: `printf 'a b\t c\n\n dd' | wc; printf ' é  x ' | wc -w -L`, stdout: "      2       4      11\n      2       6\n"},
		{name: "fail/genrsa-too-large", script: `openssl genrsa 100000`, status: 1, stderr: `genrsa: Invalid number "100000" for option numbits`},
	})
}
