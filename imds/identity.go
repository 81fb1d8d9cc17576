package imds

import (
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/imdsplay/imdsplay/imds/jwt"
	"github.com/imdsplay/imdsplay/imds/scenario"
)

// Identity token limits, in seconds.
const (
	MinTokenExpiry     = 5
	MaxTokenExpiry     = 3600
	DefaultTokenExpiry = 300
	// MaxNonceLength bounds the optional nonce (an assumption: IBM documents no limit).
	MaxNonceLength = 1024
)

// IdentityClaims are the claims of an instance identity token, as IBM documents them.
type IdentityClaims struct {
	jwt.Claims
	IaaS        IaaSClaim      `json:"iaas"`
	VPC         RefClaim       `json:"vpc"`
	Subnets     []RefClaim     `json:"subnets"`
	IPAddresses []AddressClaim `json:"ip_addresses"`
	Nonce       string         `json:"nonce,omitempty"`
}

// IaaSClaim describes the instance in an identity token.
type IaaSClaim struct {
	CRN             string `json:"crn"`
	AccountID       string `json:"accountID"`
	InstanceID      string `json:"instanceID"`
	Zone            string `json:"zone"`
	Region          string `json:"region"`
	ProfileName     string `json:"profile_name"`
	ResourceGroupID string `json:"resource_group_id"`
}

// RefClaim is a {crn, name, id} reference inside a token.
type RefClaim struct {
	CRN  string `json:"crn"`
	Name string `json:"name"`
	ID   string `json:"id"`
}

// AddressClaim is one IP address of the instance.
type AddressClaim struct {
	Address string `json:"address"`
}

// identityOp is one method of the identity API.
type identityOp struct {
	method string
	serve  func(e *Emulator, w http.ResponseWriter, r *http.Request, in *scenario.Instance, legacy bool)
}

var identityOps = map[string]identityOp{
	"/instance_identity/v1/token":        {http.MethodPut, (*Emulator).serveToken},
	"/instance_identity/v1/iam_token":    {http.MethodPost, (*Emulator).serveIAMExchange},
	"/instance_identity/v1/certificates": {http.MethodPost, (*Emulator).serveCertificate},
	"/identity/v1/token":                 {http.MethodPut, (*Emulator).serveToken},
	"/identity/v1/iam_tokens":            {http.MethodPost, (*Emulator).serveIAMExchange},
	"/identity/v1/certificates":          {http.MethodPost, (*Emulator).serveCertificate},
}

// serveMetadataHost answers the identity and metadata APIs, which only the instance reaches.
func (e *Emulator) serveMetadataHost(w http.ResponseWriter, r *http.Request) {
	in, err := e.callingInstance(r)
	if err != nil {
		if in != nil {
			e.record(r, in, actionOf(r.URL.Path), err)
		}
		e.writeError(w, r, err)
		return
	}
	// Secure access: the service listens on exactly one protocol. A request over the other one
	// finds nothing listening; a native listener can only drop the connection.
	if (in.MetadataService.Protocol == "https") != (r.TLS != nil) {
		panic(http.ErrAbortHandler)
	}
	path := r.URL.Path
	if op, ok := identityOps[path]; ok {
		if r.Method != op.method {
			e.methodNotAllowed(w, r, op.method)
			return
		}
		op.serve(e, w, r, in, strings.HasPrefix(path, "/instance_identity/"))
		return
	}
	if strings.HasPrefix(path, "/metadata/v1/") {
		e.serveMetadata(w, r, in)
		return
	}
	e.writeError(w, r, errNotFoundPath(path))
}

// actionOf names the Activity Tracker action of a metadata-host path, for calls refused before
// their handler runs.
func actionOf(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	last := parts[len(parts)-1]
	switch {
	case last == "token":
		return "is.metadata.jwt-token.create"
	case last == "iam_token" || last == "iam_tokens":
		return "is.metadata.computeresource-token.request"
	case last == "certificates":
		return "is.metadata.instance-identity-certificate.create"
	case len(parts) < 3:
		return "is.metadata.instance.read"
	}
	kind := map[string]string{
		"keys": "instance-key", "placement_groups": "instance-placement-group",
		"network_interfaces": "instance-network-interface", "network_attachments": "instance-network-attachment",
		"volume_attachments": "instance-volume-attachment", "software_attachments": "instance-software-attachment",
	}
	sub := parts[2]
	if sub == "instance" && len(parts) > 3 {
		sub = parts[3]
	}
	if sub == "initialization" {
		return "is.metadata.instance.initialization"
	}
	k, ok := kind[sub]
	if !ok {
		return "is.metadata.instance.read"
	}
	if parts[len(parts)-1] == sub {
		return "is.metadata." + k + ".list"
	}
	if k == "instance-software-attachment" {
		return "is.metadata." + k + ".read"
	}
	return "is.metadata." + k + ".get"
}

// callingInstance is a copy of the instance the request comes from, after checking that its
// metadata service is on.
func (e *Emulator) callingInstance(r *http.Request) (*scenario.Instance, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	in := pickInstance(e.world, callerOf(r).instanceID)
	if in == nil {
		return nil, &Error{Code: CodeServiceError, Message: "An internal error occurred.", Err: errNoInstance}
	}
	cp := *in
	if !cp.MetadataService.Enabled {
		return &cp, errf(CodeUnauthorized, nil, "The metadata service is not enabled on the provided instance.")
	}
	return &cp, nil
}

// checkIdentityVersion applies the version rules of the identity API, including the removal of
// the /instance_identity paths at 2025-08-26.
func (e *Emulator) checkIdentityVersion(r *http.Request, legacy bool) error {
	v, err := e.version(r, MinIdentityVersion)
	if err != nil {
		return err
	}
	if legacy && !v.Before(IdentityPathChange) {
		return &Error{Code: CodeNotFound, Status: http.StatusNotFound,
			Message: fmt.Sprintf("The requested path %s is not available for version %s or later; use /identity/v1.", r.URL.Path, IdentityPathChange.Format("2006-01-02"))}
	}
	return nil
}

// tokenRequest is the body of PUT /identity/v1/token.
type tokenRequest struct {
	ExpiresIn *int64  `json:"expires_in"`
	Nonce     *string `json:"nonce"`
}

// TokenResponse is the answer to a token request.
type TokenResponse struct {
	AccessToken string `json:"access_token"`
	CreatedAt   string `json:"created_at"`
	ExpiresAt   string `json:"expires_at"`
	ExpiresIn   int64  `json:"expires_in"`
	Nonce       string `json:"nonce,omitempty"`
}

const millis = "2006-01-02T15:04:05.000Z07:00"

func (e *Emulator) serveToken(w http.ResponseWriter, r *http.Request, in *scenario.Instance, legacy bool) {
	resp, err := e.issueToken(r, in, legacy)
	e.record(r, in, "is.metadata.jwt-token.create", err)
	if err != nil {
		e.writeError(w, r, err)
		return
	}
	e.writeJSON(w, http.StatusOK, resp)
}

func (e *Emulator) issueToken(r *http.Request, in *scenario.Instance, legacy bool) (*TokenResponse, error) {
	if err := e.checkIdentityVersion(r, legacy); err != nil {
		return nil, err
	}
	flavor, ok := r.Header["Metadata-Flavor"]
	switch {
	case !ok || len(flavor) == 0 || flavor[0] == "":
		return nil, errf(CodeMissingValue, header("Metadata-Flavor"), "A value such as `ibm` must be provided in the `Metadata-Flavor` header.")
	case flavor[0] != "ibm":
		return nil, errf(CodeInvalidValue, withValue(header("Metadata-Flavor"), flavor[0]), "The `Metadata-Flavor` header must be `ibm`.")
	}
	var req tokenRequest
	if err := e.decodeBody(r, &req); err != nil {
		return nil, err
	}
	expiresIn := int64(DefaultTokenExpiry)
	if req.ExpiresIn != nil {
		expiresIn = *req.ExpiresIn
		if expiresIn < MinTokenExpiry || expiresIn > MaxTokenExpiry {
			return nil, errf(CodeInvalidValue, withValue(field("expires_in"), fmt.Sprint(expiresIn)),
				"The value provided for the `expires_in` field must be between `%d` and `%d`.", MinTokenExpiry, MaxTokenExpiry)
		}
	}
	nonce := ""
	if req.Nonce != nil {
		nonce = *req.Nonce
		if len(nonce) > MaxNonceLength {
			return nil, errf(CodeInvalidValue, field("nonce"), "The `nonce` field must not exceed %d characters.", MaxNonceLength)
		}
	}
	token, created, expires, err := e.signIdentity(in, time.Duration(expiresIn)*time.Second, nonce)
	if err != nil {
		return nil, err
	}
	return &TokenResponse{
		AccessToken: token,
		CreatedAt:   created.UTC().Format(millis),
		ExpiresAt:   expires.UTC().Format(millis),
		ExpiresIn:   expiresIn,
		Nonce:       nonce,
	}, nil
}

// signIdentity makes an identity token for the instance.
func (e *Emulator) signIdentity(in *scenario.Instance, ttl time.Duration, nonce string) (string, time.Time, time.Time, error) {
	key, err := e.key(keyIdentity)
	if err != nil {
		return "", time.Time{}, time.Time{}, err
	}
	e.mu.Lock()
	claims := e.identityClaims(in)
	e.mu.Unlock()
	now := e.now().Truncate(time.Millisecond)
	claims.IssuedAt = jwt.NewNumericDate(now)
	claims.Expiry = jwt.NewNumericDate(now.Add(ttl))
	claims.Nonce = nonce
	tok, err := e.sign(key, e.identityKID(key), claims)
	return tok, now, now.Add(ttl), err
}

func (e *Emulator) identityIssuer() string { return "VSI-CR_" + e.world.Region }

func (e *Emulator) identityKID(k *rsa.PrivateKey) string { return kid("VSI-CR_"+e.regionLocked(), k) }

func (e *Emulator) regionLocked() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.world.Region
}

// identityClaims describes the instance; e.mu must be held.
func (e *Emulator) identityClaims(in *scenario.Instance) *IdentityClaims {
	s := e.world
	c := &IdentityClaims{
		Claims: jwt.Claims{
			Issuer:   e.identityIssuer(),
			Audience: jwt.Audience{e.identityIssuer(), e.audienceSuffix(in)},
		},
		IaaS: IaaSClaim{
			CRN: in.CRN, AccountID: s.AccountID, InstanceID: in.ID, Zone: in.Zone, Region: s.Region,
			ProfileName: in.Profile, ResourceGroupID: s.ResourceGroup.ID,
		},
	}
	if v := s.VPC(in.VPC); v != nil {
		c.VPC = RefClaim{CRN: v.CRN, Name: v.Name, ID: v.ID}
	}
	seen := map[string]bool{}
	for _, nic := range in.NetworkInterfaces {
		if nic.FloatingIP != "" {
			c.IPAddresses = append(c.IPAddresses, AddressClaim{nic.FloatingIP})
		}
		c.IPAddresses = append(c.IPAddresses, AddressClaim{nic.PrimaryIPv4Address})
		if sn := s.Subnet(nic.Subnet); sn != nil && !seen[sn.ID] {
			seen[sn.ID] = true
			c.Subnets = append(c.Subnets, RefClaim{CRN: sn.CRN, Name: sn.Name, ID: sn.ID})
		}
	}
	return c
}

// audienceSuffix is the instance-specific audience: IBM's tokens carry a second audience made
// of a UUID and a long decimal; the emulator derives both from the instance ID.
func (e *Emulator) audienceSuffix(in *scenario.Instance) string {
	id := in.ID
	if i := strings.IndexByte(id, '_'); i >= 0 {
		id = id[i+1:]
	}
	n := new(big.Int).SetBytes([]byte(in.CRN))
	return id + "_" + n.Text(10)[:min(len(n.Text(10)), 50)]
}

// sign makes an RS256 JWS of claims with the key ID in its header.
func (e *Emulator) sign(key *rsa.PrivateKey, keyID string, claims any) (string, error) {
	tok, err := jwt.Sign(key, keyID, claims)
	if err != nil {
		return "", &Error{Code: CodeServiceError, Message: "An internal error occurred.", Err: err}
	}
	return tok, nil
}

// bearer extracts the token of an `Authorization: Bearer` header.
func bearer(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", errf(CodeUnauthenticated, header("Authorization"), "The request must carry a token in the `Authorization: Bearer` header.")
	}
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return "", errf(CodeUnauthenticated, header("Authorization"), "The `Authorization` header must have the form `Bearer <token>`.")
	}
	return strings.TrimSpace(tok), nil
}

var errInvalidToken = errf(CodeUnauthenticated, header("Authorization"), "The provided token is invalid or expired.")

// verifyJWT checks an RS256 token against key and decodes its claims into out. Any failure,
// from a malformed token or a foreign key to an expiry one second ago, is unauthenticated.
func (e *Emulator) verifyJWT(token string, key *rsa.PublicKey, issuer string, out interface{ std() *jwt.Claims }) error {
	if err := decodeJWT(token, key, out); err != nil {
		return err
	}
	return e.checkClaims(out.std(), issuer)
}

// decodeJWT checks the form and the RS256 signature of token and decodes its claims into out:
// what verifyJWT checks once and for all, as opposed to the times. jwt.Parse accepts one
// spelling of a token only, so no string the emulator did not issue reaches the claims.
func decodeJWT(token string, key *rsa.PublicKey, out any) error {
	parsed, err := jwt.Parse(token)
	if err != nil {
		return &Error{Code: CodeUnauthenticated, Message: errInvalidToken.Message, Target: errInvalidToken.Target, Err: err}
	}
	if err := parsed.Claims(key, out); err != nil {
		return &Error{Code: CodeUnauthenticated, Message: errInvalidToken.Message, Target: errInvalidToken.Target, Err: err}
	}
	return nil
}

// checkClaims checks the issuer and the times of a token whose signature is good. There is no
// leeway: the emulator's clock is the only clock, and "expired by one second" must fail.
func (e *Emulator) checkClaims(std *jwt.Claims, issuer string) error {
	if std.Expiry == nil || std.IssuedAt == nil {
		return &Error{Code: CodeUnauthenticated, Message: errInvalidToken.Message, Target: errInvalidToken.Target, Err: errors.New("token lacks exp or iat")}
	}
	if err := std.Validate(issuer, e.now()); err != nil {
		return &Error{Code: CodeUnauthenticated, Message: errInvalidToken.Message, Target: errInvalidToken.Target, Err: err}
	}
	return nil
}

func (c *IdentityClaims) std() *jwt.Claims { return &c.Claims }

// VerifyIdentityToken checks an identity token signed by this emulator and returns its claims.
func (e *Emulator) VerifyIdentityToken(token string) (*IdentityClaims, error) {
	key, err := e.key(keyIdentity)
	if err != nil {
		return nil, err
	}
	var c IdentityClaims
	if err := e.verifyJWT(token, &key.PublicKey, "VSI-CR_"+e.regionLocked(), &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// verifiedTokens remembers the tokens whose signature the emulator has checked, with their
// decoded claims, so that a client that reuses its token (the SDKs keep one until it nears
// expiry) costs one RSA verification and one claims decoding rather than one per request.
// Only what cannot change is remembered: the issuer and the times are checked on every use.
// A token is its own key, and only tokens that verified are kept, so no other string can reach
// their claims; when full, the cache is emptied at once.
type verifiedTokens struct {
	mu sync.Mutex
	m  map[string]any // token → its claims (*IdentityClaims or *IAMClaims), shared, read-only
}

// maxVerifiedTokens bounds each cache (about 2 KB a token).
const maxVerifiedTokens = 1024

func (v *verifiedTokens) get(token string) any {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.m[token]
}

func (v *verifiedTokens) put(token string, claims any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.m == nil || len(v.m) >= maxVerifiedTokens {
		v.m = make(map[string]any)
	}
	v.m[token] = claims
}

// identityClaimsOf is VerifyIdentityToken for the request paths, through the cache of verified
// tokens: the claims it returns are shared and must not be changed.
func (e *Emulator) identityClaimsOf(token string) (*IdentityClaims, error) {
	key, err := e.key(keyIdentity)
	if err != nil {
		return nil, err
	}
	c, _ := e.verified[keyIdentity].get(token).(*IdentityClaims)
	if c == nil {
		c = new(IdentityClaims)
		if err := decodeJWT(token, &key.PublicKey, c); err != nil {
			return nil, err
		}
		e.verified[keyIdentity].put(token, c)
	}
	if err := e.checkClaims(&c.Claims, "VSI-CR_"+e.regionLocked()); err != nil {
		return nil, err
	}
	return c, nil
}

// requireIdentity verifies the bearer identity token of a request made from instance in.
func (e *Emulator) requireIdentity(r *http.Request, in *scenario.Instance) (*IdentityClaims, error) {
	tok, err := bearer(r)
	if err != nil {
		return nil, err
	}
	c, err := e.identityClaimsOf(tok)
	if err != nil {
		return nil, err
	}
	if c.IaaS.InstanceID != in.ID {
		return nil, errf(CodeUnauthenticated, header("Authorization"), "The provided token was issued to another instance.")
	}
	return c, nil
}

// jwks is a JSON Web Key Set of public keys only.
func jwks(keys ...jwt.JWK) []byte {
	data, _ := json.Marshal(jwt.JWKSet{Keys: keys})
	return data
}

func publicJWK(k *rsa.PrivateKey, id string) jwt.JWK { return jwt.NewJWK(&k.PublicKey, id) }
