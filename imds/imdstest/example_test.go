package imdstest_test

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"strings"
	"time"

	"github.com/imdsplay/imdsplay/imds/imdstest"
	"github.com/imdsplay/imdsplay/imds/scenario"
)

// put sends a JSON request the way code on an instance does.
func put(c *http.Client, method, url, bearer, body string) (*http.Response, map[string]any) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		log.Fatal(err)
	}
	req.Header.Set("Metadata-Flavor", "ibm")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := c.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp, m
}

func ExampleNewServer() {
	// In a test: srv := imdstest.NewServer(t), and t.Cleanup closes it.
	srv := imdstest.NewServer(nil)
	defer srv.Close()

	resp, tok := put(srv.Client(), "PUT", srv.URL+"/identity/v1/token?version=2025-08-26", "", `{"expires_in": 600}`)
	claims, err := srv.Emulator().VerifyIdentityToken(tok["access_token"].(string))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.StatusCode, tok["created_at"], tok["expires_in"])
	fmt.Println(claims.IaaS.InstanceID, claims.IaaS.Zone)
	// Output:
	// 200 2026-01-01T12:00:00.000Z 600
	// 0727_ed12480a-40a4-41a0-98e3-6dfac8b25ad6 us-south-2
}

// Code with the metadata service's real address compiled in runs unchanged against the
// server's Client.
func ExampleServer_Client() {
	srv := imdstest.NewServer(nil, imdstest.WithKeys(imdstest.SharedKeys()))
	defer srv.Close()
	const endpoint = "http://api.metadata.cloud.ibm.com"

	_, tok := put(srv.Client(), "PUT", endpoint+"/identity/v1/token?version=2025-08-26", "", "")
	resp, iam := put(srv.Client(), "POST", endpoint+"/identity/v1/iam_tokens?version=2025-08-26",
		tok["access_token"].(string), `{"trusted_profile": {"id": "`+scenario.LinkedProfileID+`"}}`)
	claims, err := srv.Emulator().VerifyIAMToken(iam["access_token"].(string))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.StatusCode, iam["expires_in"])
	fmt.Println(claims.Subject, claims.GrantType)
	// Output:
	// 200 3600
	// Profile-8dd84246-7df4-4667-94e4-8cede51d5ac5 urn:ibm:params:oauth:grant-type:cr-token
}

func ExampleServer_DisableService() {
	srv := imdstest.NewServer(nil)
	defer srv.Close()

	srv.DisableService()
	resp, body := put(srv.Client(), "PUT", srv.URL+"/identity/v1/token?version=2025-08-26", "", "")
	fmt.Println(resp.StatusCode, body["errors"].([]any)[0].(map[string]any)["code"])
	// Output: 403 unauthorized
}

// The clock stands still until the test moves it, so expiry needs no sleeping.
func ExampleServer_Advance() {
	srv := imdstest.NewServer(nil)
	defer srv.Close()

	_, tok := put(srv.Client(), "PUT", srv.URL+"/identity/v1/token?version=2025-08-26", "", `{"expires_in": 60}`)
	srv.Advance(time.Minute)
	resp, body := put(srv.Client(), "POST", srv.URL+"/identity/v1/iam_tokens?version=2025-08-26", tok["access_token"].(string), "")
	fmt.Println(resp.StatusCode, body["errors"].([]any)[0].(map[string]any)["code"])
	// Output: 401 unauthenticated
}

func ExampleNewTLSServer() {
	srv := imdstest.NewTLSServer(nil)
	defer srv.Close()

	resp, _ := put(srv.Client(), "PUT", "https://api.metadata.cloud.ibm.com/identity/v1/token?version=2025-08-26", "", "")
	fmt.Println(srv.URL[:8], resp.StatusCode, resp.TLS.PeerCertificates[0].Issuer.CommonName)

	// With secure access on, plain HTTP finds the connection closed.
	_, err := srv.Client().Get("http://api.metadata.cloud.ibm.com/metadata/v1/instance?version=2025-08-26")
	fmt.Println(err != nil)
	// Output:
	// https:// 200 imdsplay Emulated VPC Intermediate CA
	// true
}
