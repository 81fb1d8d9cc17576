package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/imds/jwt"
)

// floorSpec is what the floors are told about the emulator's answers, through a file.
type floorSpec struct {
	// IdentityToken and IAMToken are answers of the emulator; the sign floor signs the same
	// claims under the same kid, with a key of the same size.
	IdentityToken, IAMToken string
	// CSR is the load's CSR; the sign floor signs a leaf for its key.
	CSR string
	// InstanceID is the CN of the leaf.
	InstanceID string
	// Answers are the emulator's answers by "METHOD path", for the bytes floor.
	Answers map[string]floorAnswer
}

// floorAnswer is one recorded answer.
type floorAnswer struct {
	Status int
	Body   []byte
}

// Paths of the calls the load makes.
const (
	pathToken    = "/identity/v1/token"
	pathIAM      = "/identity/v1/iam_tokens"
	pathCert     = "/identity/v1/certificates"
	pathMetadata = "/metadata/v1/instance"
)

// runFloor serves a floor on loopback until ctx ends: "sign" signs the same tokens and
// certificate as the emulator and does nothing else; "bytes" writes the emulator's recorded
// answers.
func runFloor(ctx context.Context, mode, specFile string, stdout io.Writer) error {
	data, err := os.ReadFile(specFile)
	if err != nil {
		return err
	}
	var spec floorSpec
	if err := json.Unmarshal(data, &spec); err != nil {
		return err
	}
	mux := http.NewServeMux()
	switch mode {
	case "sign":
		if err := signFloor(mux, &spec); err != nil {
			return err
		}
	case "bytes":
		for key, a := range spec.Answers {
			mux.HandleFunc(key, func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				w.Header().Set("Content-Type", "application/json; charset=utf-8")
				w.WriteHeader(a.Status)
				w.Write(a.Body)
			})
		}
	default:
		return fmt.Errorf("unknown floor %q", mode)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	// The same server settings as imds serve's.
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute, ErrorLog: log.New(io.Discard, "", 0)}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	fmt.Fprintf(stdout, "floor: serving http://%s (%s)\n", ln.Addr(), mode)
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// signFloor adds the handlers that only sign: the identity token, the IAM token (RS256 over
// the same claims, RSA-2048 keys like the emulator's) and the leaf certificate (signed by an
// RSA-2048 intermediate, like the emulator's).
func signFloor(mux *http.ServeMux, spec *floorSpec) error {
	for _, t := range []struct {
		path, token string
		claims      any
	}{
		{"PUT " + pathToken, spec.IdentityToken, &imds.IdentityClaims{}},
		{"POST " + pathIAM, spec.IAMToken, &imds.IAMClaims{}},
	} {
		parsed, err := jwt.Parse(t.token)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(parsed.UnverifiedPayload(), t.claims); err != nil {
			return err
		}
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return err
		}
		claims, kid := t.claims, parsed.Header.Kid
		mux.HandleFunc(t.path, func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			tok, err := jwt.Sign(key, kid, claims)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			json.NewEncoder(w).Encode(map[string]any{"access_token": tok})
		})
	}

	block, _ := pem.Decode([]byte(spec.CSR))
	if block == nil {
		return errors.New("floor: no CSR")
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return err
	}
	interKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	now := time.Now().Truncate(time.Second)
	interTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "floor intermediate"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	interDER, err := x509.CreateCertificate(rand.Reader, interTmpl, interTmpl, &interKey.PublicKey, interKey)
	if err != nil {
		return err
	}
	inter, _ := x509.ParseCertificate(interDER)
	interPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: interDER}))
	mux.HandleFunc("POST "+pathCert, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{Organization: csr.Subject.Organization, CommonName: spec.InstanceID},
			NotBefore: now, NotAfter: now.Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
			ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
			BasicConstraintsValid: true,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, inter, csr.PublicKey, interKey)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(map[string]any{"certificates": []string{string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), interPEM}})
	})
	return nil
}
