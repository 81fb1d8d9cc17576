package imds

import (
	"errors"
	"net/http"
	"time"

	"github.com/imdsplay/imdsplay/imds/ca"
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

// issueCertificate is POST /identity/v1/certificates: an identity certificate for the CSR
// of a program on the calling instance.
func (e *Emulator) issueCertificate(c *call) (int, any, error) {
	var req certRequest
	if err := c.decode(e, &req); err != nil {
		return 0, nil, err
	}
	if req.CSR == nil || *req.CSR == "" {
		return 0, nil, errf(CodeMissingField, field("csr"), "The `csr` field is required.")
	}
	expiresIn, err := lifetime(req.ExpiresIn, DefaultCertExpiry, MinCertExpiry, MaxCertExpiry)
	if err != nil {
		return 0, nil, err
	}
	authority, err := e.authority()
	if err != nil {
		return 0, nil, err
	}
	issued, err := authority.Sign(*req.CSR, c.instance.ID, time.Duration(expiresIn)*time.Second)
	if err != nil {
		var re *ca.RuleError
		if errors.As(err, &re) {
			return 0, nil, &Error{Code: CodeInvalidValue, Message: re.Error(), Target: field("csr"), Err: err}
		}
		return 0, nil, err
	}
	return http.StatusCreated, &CertificateResponse{
		Certificates: []string{issued.Leaf, issued.Intermediate},
		CreatedAt:    issued.NotBefore.UTC().Format(seconds),
		ExpiresAt:    issued.NotAfter.UTC().Format(seconds),
		ExpiresIn:    expiresIn,
		ID:           issued.ID,
	}, nil
}
