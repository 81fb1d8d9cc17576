package imds

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/imdsplay/imdsplay/imds/ca"
	"github.com/imdsplay/imdsplay/imds/scenario"
)

// Identity certificate lifetimes, in seconds. IBM documents the default only; the bounds are
// the emulator's assumption (see the README's fidelity notes).
const (
	DefaultCertExpiry = 3600
	MinCertExpiry     = 300
	MaxCertExpiry     = 86400
)

type certRequest struct {
	CSR       *string `json:"csr"`
	ExpiresIn *int64  `json:"expires_in"`
}

// CertificateResponse is the answer to an identity certificate request.
type CertificateResponse struct {
	Certificates []string `json:"certificates"`
	CreatedAt    string   `json:"created_at"`
	ExpiresAt    string   `json:"expires_at"`
	ExpiresIn    int64    `json:"expires_in"`
	ID           string   `json:"id"`
}

func (e *Emulator) serveCertificate(w http.ResponseWriter, r *http.Request, in *scenario.Instance, legacy bool) {
	resp, err := e.issueCertificate(r, in, legacy)
	e.record(r, in, "is.metadata.instance-identity-certificate.create", err)
	if err != nil {
		e.writeError(w, r, err)
		return
	}
	e.writeJSON(w, http.StatusCreated, resp)
}

func (e *Emulator) issueCertificate(r *http.Request, in *scenario.Instance, legacy bool) (*CertificateResponse, error) {
	if err := e.checkIdentityVersion(r, legacy); err != nil {
		return nil, err
	}
	if _, err := e.requireIdentity(r, in); err != nil {
		return nil, err
	}
	var req certRequest
	if err := e.decodeBody(r, &req); err != nil {
		return nil, err
	}
	if req.CSR == nil || *req.CSR == "" {
		return nil, errf(CodeMissingField, field("csr"), "The `csr` field is required.")
	}
	expiresIn := int64(DefaultCertExpiry)
	if req.ExpiresIn != nil {
		expiresIn = *req.ExpiresIn
		if expiresIn < MinCertExpiry || expiresIn > MaxCertExpiry {
			return nil, errf(CodeInvalidValue, withValue(field("expires_in"), fmt.Sprint(expiresIn)),
				"The value provided for the `expires_in` field must be between `%d` and `%d`.", MinCertExpiry, MaxCertExpiry)
		}
	}
	authority, err := e.authority()
	if err != nil {
		return nil, err
	}
	issued, err := authority.Sign(*req.CSR, in.ID, time.Duration(expiresIn)*time.Second)
	if err != nil {
		var re *ca.RuleError
		if errors.As(err, &re) {
			return nil, &Error{Code: CodeInvalidValue, Message: re.Error(), Target: field("csr"), Err: err}
		}
		return nil, err
	}
	return &CertificateResponse{
		Certificates: []string{issued.Leaf, issued.Intermediate},
		CreatedAt:    issued.NotBefore.UTC().Format(seconds),
		ExpiresAt:    issued.NotAfter.UTC().Format(seconds),
		ExpiresIn:    expiresIn,
		ID:           issued.ID,
	}, nil
}
