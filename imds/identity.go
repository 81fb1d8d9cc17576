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

// metadataGate admits a request to the metadata host: it comes from an instance (the one the
// listener or transport says, or the scenario's first), whose metadata service is on and
// listens on the protocol the request came over. Refusals from here on are recorded, as
// calls of the instance to the metadata service.
func (e *Emulator) metadataGate(c *call) error {
	e.mu.Lock()
	in := pickInstance(e.world, callerOf(c.r).instanceID)
	var cp scenario.Instance
	if in != nil {
		cp = *in
	}
	e.mu.Unlock()
	if in == nil {
		return &Error{Code: CodeServiceError, Message: "An internal error occurred.", Err: errNoInstance}
	}
	c.instance = &cp
	c.who = EventInitiator{ID: cp.CRN, Name: cp.Name, TypeURI: "compute/machine"}
	c.target = EventTarget{ID: cp.CRN, Name: cp.Name, TypeURI: "is/metadata"}
	if !cp.MetadataService.Enabled {
		return errf(CodeUnauthorized, nil, "The metadata service is not enabled on the provided instance.")
	}
	// Secure access: the service listens on exactly one protocol. A request over the other one
	// finds nothing listening; a native listener can only drop the connection.
	if (cp.MetadataService.Protocol == "https") != c.secure {
		panic(http.ErrAbortHandler)
	}
	return nil
}

// metadataFlavor checks the header that shows a token request comes from a program on the
// instance rather than from a page that tricked a browser into sending it.
func metadataFlavor(h http.Header) error {
	flavor, ok := h["Metadata-Flavor"]
	switch {
	case !ok || len(flavor) == 0 || flavor[0] == "":
		return errf(CodeMissingValue, header("Metadata-Flavor"), "A value such as `ibm` must be provided in the `Metadata-Flavor` header.")
	case flavor[0] != "ibm":
		return errf(CodeInvalidValue, withValue(header("Metadata-Flavor"), flavor[0]), "The `Metadata-Flavor` header must be `ibm`.")
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

// issueToken is PUT /identity/v1/token: an identity token for the calling instance.
func (e *Emulator) issueToken(c *call) (int, any, error) {
	in := c.instance
	var req tokenRequest
	if err := c.decode(e, &req); err != nil {
		return 0, nil, err
	}
	expiresIn, err := lifetime(req.ExpiresIn, DefaultTokenExpiry, MinTokenExpiry, MaxTokenExpiry)
	if err != nil {
		return 0, nil, err
	}
	nonce := ""
	if req.Nonce != nil {
		nonce = *req.Nonce
		if len(nonce) > MaxNonceLength {
			return 0, nil, errf(CodeInvalidValue, field("nonce"), "The `nonce` field must not exceed %d characters.", MaxNonceLength)
		}
	}
	token, created, expires, err := e.signIdentity(in, time.Duration(expiresIn)*time.Second, nonce)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, &TokenResponse{
		AccessToken: token,
		CreatedAt:   created.UTC().Format(millis),
		ExpiresAt:   expires.UTC().Format(millis),
		ExpiresIn:   expiresIn,
		Nonce:       nonce,
	}, nil
}

// lifetime is the expires_in of a request in seconds: def when absent, invalid_value outside
// [min, max].
func lifetime(v *int64, def, min, max int64) (int64, error) {
	if v == nil {
		return def, nil
	}
	if *v < min || *v > max {
		return 0, errf(CodeInvalidValue, withValue(field("expires_in"), fmt.Sprint(*v)),
			"The value provided for the `expires_in` field must be between `%d` and `%d`.", min, max)
	}
	return *v, nil
}

// signIdentity makes an identity token for the instance.
func (e *Emulator) signIdentity(in *scenario.Instance, ttl time.Duration, nonce string) (string, time.Time, time.Time, error) {
	key, err := e.tokenKey(KeyIdentity)
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
	tok, err := e.sign(key, e.identityKID(key.pub), claims)
	return tok, now, now.Add(ttl), err
}

// identityIssuer is the iss, and the first aud, of identity tokens issued in region.
func identityIssuer(region string) string { return "VSI-CR_" + region }

// identityKID names the identity key the way IBM's kids look: issuer plus a short hash.
func (e *Emulator) identityKID(k *rsa.PublicKey) string { return kid(identityIssuer(e.Region()), k) }

// identityClaims describes the instance; e.mu must be held.
func (e *Emulator) identityClaims(in *scenario.Instance) *IdentityClaims {
	s := e.world
	c := &IdentityClaims{
		Claims: jwt.Claims{
			Issuer:   identityIssuer(s.Region),
			Audience: jwt.Audience{identityIssuer(s.Region), e.audienceSuffix(in)},
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
func (e *Emulator) sign(key *tokenKey, keyID string, claims any) (string, error) {
	tok, err := jwt.SignWith(key.sign, keyID, claims)
	if err != nil {
		return "", &Error{Code: CodeServiceError, Message: "An internal error occurred.", Err: err}
	}
	return tok, nil
}

// bearer extracts the token of an `Authorization: Bearer` header. A missing header is
// missing_field: the error-code page keeps unauthenticated for a token that was provided.
func bearer(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", errf(CodeMissingField, header("Authorization"), "The `Authorization` header is required: send the identity token as `Authorization: Bearer <token>`.")
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
	key, err := e.tokenKey(KeyIdentity)
	if err != nil {
		return nil, err
	}
	var c IdentityClaims
	if err := e.verifyJWT(token, key.pub, identityIssuer(e.Region()), &c); err != nil {
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
	key, err := e.tokenKey(KeyIdentity)
	if err != nil {
		return nil, err
	}
	c, _ := e.verified[KeyIdentity].get(token).(*IdentityClaims)
	if c == nil {
		c = new(IdentityClaims)
		if err := decodeJWT(token, key.pub, c); err != nil {
			return nil, err
		}
		e.verified[KeyIdentity].put(token, c)
	}
	if err := e.checkClaims(&c.Claims, identityIssuer(e.Region())); err != nil {
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

func publicJWK(k *rsa.PublicKey, id string) jwt.JWK { return jwt.NewJWK(k, id) }
