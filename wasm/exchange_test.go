package main

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/imdsplay/imdsplay/shell"
)

func TestFromShell(t *testing.T) {
	ok := fromShell(shell.Exchange{
		Method:         "PUT",
		URL:            "http://api.metadata.cloud.ibm.com/instance_identity/v1/token?version=2025-04-22",
		RequestHeader:  http.Header{"Metadata-Flavor": {"ibm"}, "Accept": {"*/*"}},
		RequestBody:    []byte(`{}`),
		Status:         200,
		ResponseHeader: http.Header{"Content-Type": {"application/json"}},
		ResponseBody:   []byte(`{"access_token":"x"}`),
		Real:           1500 * time.Microsecond,
	})
	if ok.Method != "PUT" || ok.Status != 200 || ok.StatusText != "OK" || ok.ReqBody != "{}" || ok.RespBody != `{"access_token":"x"}` || ok.Ms != 1.5 {
		t.Errorf("got %+v", ok)
	}
	want := [][2]string{{"Host", "api.metadata.cloud.ibm.com"}, {"Accept", "*/*"}, {"Metadata-Flavor", "ibm"}}
	if len(ok.ReqHeaders) != 3 || ok.ReqHeaders[0] != want[0] || ok.ReqHeaders[1] != want[1] || ok.ReqHeaders[2] != want[2] {
		t.Errorf("got request headers %v; want %v", ok.ReqHeaders, want)
	}

	failed := fromShell(shell.Exchange{
		Method:  "GET",
		URL:     "http://api.metadata.cloud.ibm.com/metadata/v1/instance",
		Err:     &net.DNSError{Err: "no such host", Name: "api.metadata.cloud.ibm.com", IsNotFound: true},
		Virtual: 2 * time.Second,
	})
	if failed.Status != 0 || failed.ErrorKind != "dns" || !strings.Contains(failed.Error, "no such host") || failed.VirtualMs != 2000 || failed.StatusText != "" {
		t.Errorf("got %+v", failed)
	}

	long := fromShell(shell.Exchange{Method: "GET", URL: "http://x/", Status: 200, ResponseBody: make([]byte, maxShownBody+1)})
	if !long.Truncated || len(long.RespBody) != maxShownBody {
		t.Errorf("got truncated=%v len=%d; want the body cut at %d", long.Truncated, len(long.RespBody), maxShownBody)
	}
}

func TestExchangeLog(t *testing.T) {
	var l exchangeLog
	if got := l.take(); got == nil || len(got) != 0 {
		t.Errorf("got %v from an empty log; want an empty non-nil list", got)
	}
	l.add(shell.Exchange{Method: "GET", URL: "http://a/", Status: 200})
	l.add(shell.Exchange{Method: "GET", URL: "http://b/", Err: errors.New("boom")})
	got := l.take()
	if len(got) != 2 || got[0].URL != "http://a/" || got[1].ErrorKind != "other" {
		t.Errorf("got %+v", got)
	}
	if len(l.take()) != 0 {
		t.Error("got exchanges after take; want none")
	}
}
