package imds

import (
	"crypto/rsa"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/imdsplay/imdsplay/imds/jwt"
	"github.com/imdsplay/imdsplay/imds/scenario"
)

// IAM facts.
const (
	// IAMIssuer is the iss of IAM access tokens.
	IAMIssuer = "https://iam.cloud.ibm.com/identity"
	// GrantCRToken is the grant type of a compute resource token exchange.
	GrantCRToken = "urn:ibm:params:oauth:grant-type:cr-token"
	// GrantAPIKey is the grant type of an API key login.
	GrantAPIKey = "urn:ibm:params:oauth:grant-type:apikey"
	// IAMTokenLifetime is how long IAM access tokens live.
	IAMTokenLifetime = time.Hour
)

// IAMClaims are the claims of an IAM access token minted by the emulator.
type IAMClaims struct {
	jwt.Claims
	IAMID      string     `json:"iam_id"`
	ID         string     `json:"id"`
	RealmID    string     `json:"realmid"`
	Identifier string     `json:"identifier"`
	Name       string     `json:"name,omitempty"`
	Email      string     `json:"email,omitempty"`
	SubType    string     `json:"sub_type"`
	Account    IAMAccount `json:"account"`
	GrantType  string     `json:"grant_type"`
	Scope      string     `json:"scope"`
	ClientID   string     `json:"client_id"`
	Authn      *IAMAuthn  `json:"authn,omitempty"`
}

// IAMAccount is the account claim of an IAM token.
type IAMAccount struct {
	Valid bool   `json:"valid"`
	BSS   string `json:"bss"`
}

// IAMAuthn records, for a trusted profile token, the compute resource that authenticated.
type IAMAuthn struct {
	Sub     string `json:"sub"`
	IAMID   string `json:"iam_id"`
	Name    string `json:"name"`
	SubType string `json:"sub_type"`
}

func (c *IAMClaims) std() *jwt.Claims { return &c.Claims }

// profileRef is the trusted_profile property of an IAM exchange request.
type profileRef struct {
	ID   *string `json:"id"`
	CRN  *string `json:"crn"`
	Name *string `json:"name"`
}

type iamExchangeRequest struct {
	TrustedProfile *profileRef `json:"trusted_profile"`
}

// IAMTokenResponse is the metadata service's answer to an IAM exchange.
type IAMTokenResponse struct {
	AccessToken string `json:"access_token"`
	CreatedAt   string `json:"created_at"`
	ExpiresAt   string `json:"expires_at"`
	ExpiresIn   int64  `json:"expires_in"`
}

const seconds = "2006-01-02T15:04:05Z07:00"

// exchange is POST /identity/v1/iam_tokens: the calling instance's identity token traded for
// an IAM access token of a trusted profile linked to it.
func (e *Emulator) exchange(c *call) (int, any, error) {
	in := c.instance
	var req iamExchangeRequest
	if err := c.decode(e, &req); err != nil {
		return 0, nil, err
	}
	profile, err := e.resolveProfile(in, req.TrustedProfile)
	if err != nil {
		return 0, nil, err
	}
	tok, now, err := e.mintProfileToken(in, profile)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, &IAMTokenResponse{
		AccessToken: tok,
		CreatedAt:   now.UTC().Format(seconds),
		ExpiresAt:   now.Add(IAMTokenLifetime).UTC().Format(seconds),
		ExpiresIn:   int64(IAMTokenLifetime / time.Second),
	}, nil
}

// resolveProfile finds the trusted profile a request names (or the instance's default) and
// checks that it is linked to the instance.
func (e *Emulator) resolveProfile(in *scenario.Instance, ref *profileRef) (scenario.TrustedProfile, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.world
	var p *scenario.TrustedProfile
	var target *Target
	switch {
	case ref == nil || (ref.ID == nil && ref.CRN == nil && ref.Name == nil):
		if ref != nil {
			return scenario.TrustedProfile{}, errf(CodeMissingField, field("trusted_profile"), "The `trusted_profile` must have an `id`, a `crn` or a `name`.")
		}
		if in.DefaultProfile == nil {
			return scenario.TrustedProfile{}, errf(CodeMissingField, field("trusted_profile"), "A trusted profile ID was not passed in the request body, and the instance has no default trusted profile.")
		}
		target = field("default_trusted_profile")
		p = s.FindProfile(in.DefaultProfile.Target)
	default:
		// Every identifier given must name the same profile: an id and the crn of another
		// profile are a contradiction, not a choice.
		for _, g := range []struct {
			kind string
			v    *string
		}{{"id", ref.ID}, {"crn", ref.CRN}, {"name", ref.Name}} {
			if g.v == nil {
				continue
			}
			t := withValue(field("trusted_profile."+g.kind), *g.v)
			var q *scenario.TrustedProfile
			switch g.kind {
			case "id":
				q = s.FindProfile(scenario.TrustedProfileTarget{ID: *g.v})
			case "crn":
				q = s.FindProfile(scenario.TrustedProfileTarget{CRN: *g.v})
			default:
				q = s.ProfileByName(*g.v)
			}
			switch {
			case q == nil:
				return scenario.TrustedProfile{}, errf(CodeNotFound, t, "Trusted profile not found.")
			case p == nil:
				p, target = q, t
			case q.ID != p.ID:
				return scenario.TrustedProfile{}, errf(CodeInvalidValue, t, "The `trusted_profile` names two different trusted profiles: its %s and its %s must name the same one.", target.Name, t.Name)
			}
		}
	}
	if p == nil {
		return scenario.TrustedProfile{}, errf(CodeNotFound, target, "Trusted profile not found.")
	}
	for _, id := range p.LinkedInstances {
		if id == in.ID {
			return *p, nil
		}
	}
	return scenario.TrustedProfile{}, errf(CodeProfileNotLinked, target, "The virtual server instance is not linked to the specified trusted profile.")
}

// mintProfileToken makes an IAM access token for a trusted profile, as IAM's cr-token grant does.
func (e *Emulator) mintProfileToken(in *scenario.Instance, p scenario.TrustedProfile) (string, time.Time, error) {
	return e.signIAM(&IAMClaims{
		Claims: jwt.Claims{Subject: p.ID},
		IAMID:  "iam-" + p.ID, ID: "iam-" + p.ID, RealmID: "iam", Identifier: p.ID, Name: p.Name,
		SubType: "Profile", GrantType: GrantCRToken,
		Authn: &IAMAuthn{Sub: in.CRN, IAMID: "crn-" + in.CRN, Name: in.Name, SubType: "ComputeResource"},
	})
}

// UserToken returns an IAM access token for the scenario's operator, the human who calls the
// VPC API. It is what IAM's apikey grant returns for the operator's API key.
func (e *Emulator) UserToken() (string, error) {
	e.mu.Lock()
	op := e.world.Operator
	e.mu.Unlock()
	tok, _, err := e.signIAM(&IAMClaims{
		Claims: jwt.Claims{Subject: op.Email},
		IAMID:  op.IAMID, ID: op.IAMID, RealmID: "IBMid", Identifier: op.IAMID, Email: op.Email, Name: op.Email,
		SubType: "User", GrantType: GrantAPIKey,
	})
	return tok, err
}

// signIAM completes what every IAM access token of the emulator carries (issuer, ID, times,
// account, scope, client) and signs it; it returns the token and its issue time.
func (e *Emulator) signIAM(c *IAMClaims) (string, time.Time, error) {
	e.mu.Lock()
	acct := e.world.AccountID
	e.mu.Unlock()
	now := e.now().Truncate(time.Second)
	c.Issuer, c.Claims.ID = IAMIssuer, e.newID()
	c.IssuedAt, c.Expiry = jwt.NewNumericDate(now), jwt.NewNumericDate(now.Add(IAMTokenLifetime))
	c.Account = IAMAccount{Valid: true, BSS: acct}
	c.Scope, c.ClientID = "ibm openid", "default"
	key, err := e.tokenKey(KeyIAM)
	if err != nil {
		return "", time.Time{}, err
	}
	tok, err := e.sign(key, iamKID(key.pub), c)
	return tok, now, err
}

func iamKID(k *rsa.PublicKey) string { return kid("iam", k) }

// VerifyIAMToken checks an IAM access token minted by this emulator and returns its claims.
func (e *Emulator) VerifyIAMToken(token string) (*IAMClaims, error) {
	key, err := e.tokenKey(KeyIAM)
	if err != nil {
		return nil, err
	}
	var c IAMClaims
	if err := e.verifyJWT(token, key.pub, IAMIssuer, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// iamClaimsOf is VerifyIAMToken for the request paths, through the cache of verified tokens
// (see verifiedTokens): the claims it returns are shared and must not be changed.
func (e *Emulator) iamClaimsOf(token string) (*IAMClaims, error) {
	key, err := e.tokenKey(KeyIAM)
	if err != nil {
		return nil, err
	}
	c, _ := e.verified[KeyIAM].get(token).(*IAMClaims)
	if c == nil {
		c = new(IAMClaims)
		if err := decodeJWT(token, key.pub, c); err != nil {
			return nil, err
		}
		e.verified[KeyIAM].put(token, c)
	}
	if err := e.checkClaims(&c.Claims, IAMIssuer); err != nil {
		return nil, err
	}
	return c, nil
}

// iamError is an error of IAM's token endpoint, which IAM answers in its own shape.
type iamError struct {
	status  int
	code    string // BXNIM…
	message string
}

func (e *iamError) Error() string { return e.code + ": " + e.message }

// iamErrorBody is IAM's error JSON, which differs from the VPC services'.
type iamErrorBody struct {
	ErrorCode    string            `json:"errorCode"`
	ErrorMessage string            `json:"errorMessage"`
	Context      map[string]string `json:"context"`
}

// renderIAM is IAM's error renderer: its token endpoint's errors in IAM's shape, the others
// (unknown paths, methods, internal errors) as IBM's VPC hosts answer them.
func renderIAM(e *Emulator, w http.ResponseWriter, r *http.Request, err error) {
	var ie *iamError
	if !errors.As(err, &ie) {
		e.writeError(w, r, err, true)
		return
	}
	trace := e.newID()
	writeJSONStatus(w, ie.status, iamErrorBody{ErrorCode: ie.code, ErrorMessage: ie.message, Context: map[string]string{"requestId": trace}}, trace)
}

// iamWrongMethod is IAM's answer to its paths called with another method: 405, in IAM's
// shape. The code is the emulator's: IBM documents none for it.
func iamWrongMethod(method, path string, allow []string) error {
	return &iamError{http.StatusMethodNotAllowed, "BXNIM0405E", fmt.Sprintf("Method %s is not allowed for %s; use %s.", method, path, strings.Join(allow, " or "))}
}

// iamKeys is IAM's GET /identity/keys: the public key of IAM access tokens.
func (e *Emulator) iamKeys(*call) (int, any, error) {
	key, err := e.tokenKey(KeyIAM)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, rawAnswer{"application/json", jwks(publicJWK(key.pub, iamKID(key.pub)))}, nil
}

// iamTokenAnswer is IAM's token endpoint response, in the order IAM documents it. A user's
// API key login also gets a refresh token and the user's ims_user_id; the compute resource
// grant, like a service ID's key, gets "not_supported" for a refresh token.
type iamTokenAnswer struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	IMSUserID    int64  `json:"ims_user_id,omitempty"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	Expiration   int64  `json:"expiration"`
	Scope        string `json:"scope"`
}

// iamToken is IAM's POST /identity/token for the apikey and cr-token grants.
func (e *Emulator) iamToken(c *call) (int, any, error) {
	form, err := c.form(e)
	if err != nil {
		return 0, nil, &iamError{http.StatusBadRequest, "BXNIM0109E", "Property missing or empty: the request body must be form encoded."}
	}
	var tok string
	answer := iamTokenAnswer{RefreshToken: "not_supported"}
	switch form.Get("grant_type") {
	case "":
		return 0, nil, &iamError{http.StatusBadRequest, "BXNIM0109E", "Property missing or empty. Property: grant_type"}
	case GrantAPIKey:
		e.mu.Lock()
		op := e.world.Operator
		e.mu.Unlock()
		if form.Get("apikey") == "" || form.Get("apikey") != op.APIKey {
			return 0, nil, &iamError{http.StatusBadRequest, "BXNIM0415E", "Provided API key could not be found."}
		}
		if tok, err = e.UserToken(); err != nil {
			return 0, nil, err
		}
		// IAM's refresh tokens are opaque; this one is random and refreshes nothing here.
		answer.RefreshToken = strings.ReplaceAll(e.newID()+e.newID()+e.newID(), "-", "")
		answer.IMSUserID = imsUserID(op)
	case GrantCRToken:
		if tok, err = e.crTokenGrant(form); err != nil {
			return 0, nil, err
		}
	default:
		return 0, nil, &iamError{http.StatusBadRequest, "BXNIM0104E", "Unsupported grant type: " + form.Get("grant_type")}
	}
	now := e.now()
	answer.AccessToken, answer.TokenType, answer.Scope = tok, "Bearer", "ibm openid"
	answer.ExpiresIn, answer.Expiration = int64(IAMTokenLifetime/time.Second), now.Add(IAMTokenLifetime).Unix()
	return http.StatusOK, answer, nil
}

// imsUserID is the operator's IMS user ID: the scenario's, or a stable 7-digit number derived
// from the IAM ID.
func imsUserID(op scenario.Operator) int64 {
	if op.IMSUserID != 0 {
		return op.IMSUserID
	}
	sum := sha256.Sum256([]byte("ims/" + op.IAMID))
	return 1_000_000 + int64(binary.BigEndian.Uint32(sum[:4])%9_000_000)
}

// crTokenGrant is IAM's older exchange: an identity token (cr_token) plus profile_id,
// profile_crn or profile_name. Its refusals are IAM's BXNIM0538E, worded after the metadata
// service's.
func (e *Emulator) crTokenGrant(form url.Values) (string, error) {
	refuse := func(msg string) error { return &iamError{http.StatusBadRequest, "BXNIM0538E", msg} }
	claims, err := e.identityClaimsOf(form.Get("cr_token"))
	if err != nil {
		return "", refuse("Provided compute resource token is invalid or expired.")
	}
	e.mu.Lock()
	in := e.world.Instance(claims.IaaS.InstanceID)
	var cp scenario.Instance
	if in != nil {
		cp = *in
	}
	e.mu.Unlock()
	if in == nil {
		return "", refuse("The compute resource of the token does not exist.")
	}
	// Every identifier given counts, so that an id and another profile's crn are refused.
	var ref *profileRef
	for _, p := range []struct {
		name string
		dst  func(r *profileRef, v *string)
	}{
		{"profile_id", func(r *profileRef, v *string) { r.ID = v }},
		{"profile_crn", func(r *profileRef, v *string) { r.CRN = v }},
		{"profile_name", func(r *profileRef, v *string) { r.Name = v }},
	} {
		if v := form.Get(p.name); v != "" {
			if ref == nil {
				ref = &profileRef{}
			}
			p.dst(ref, &v)
		}
	}
	p, err := e.resolveProfile(&cp, ref)
	if err != nil {
		var ce *Error
		if !errors.As(err, &ce) {
			return "", err
		}
		return "", refuse(strings.TrimSuffix(ce.Message, "."))
	}
	tok, _, err := e.mintProfileToken(&cp, p)
	return tok, err
}
