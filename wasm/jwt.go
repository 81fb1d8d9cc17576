package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/imdsplay/imdsplay/imds/jwt"
)

// JWTInfo is what the page shows when a token in an output is opened: the decoded parts, and
// whether one of the emulator's keys signed it. Times are Unix milliseconds so that the page can
// run an expiry countdown against NowMs (the emulator's virtual clock, which `sleep` moves
// forward) without parsing dates.
type JWTInfo struct {
	Header map[string]any `json:"header"`
	Claims map[string]any `json:"claims"`

	// SignatureValid reports that a key of KeySet verified the signature.
	SignatureValid bool `json:"signatureValid"`
	// Valid reports that the signature is valid and the token is within its lifetime at NowMs.
	Valid bool `json:"valid"`
	// Reason says in one line why the token is not valid, or which key verified it.
	Reason string `json:"reason"`
	// KeySet names the key set whose key verified the signature ("" when none did).
	KeySet string `json:"keySet"`
	// KeyID is the kid of the verifying key, or of the header when none verified.
	KeyID string `json:"kid"`

	IssuedAtMs  int64 `json:"issuedAtMs,omitempty"`
	NotBeforeMs int64 `json:"notBeforeMs,omitempty"`
	ExpiresAtMs int64 `json:"expiresAtMs,omitempty"`
	NowMs       int64 `json:"nowMs"`
}

// KeySet is a named JWKS the emulator publishes (its identity keys, or IAM's keys).
type KeySet struct {
	Name string
	Set  jwt.JWKSet
}

// errNotJWT is returned for a string that is not a compact JWS at all; a token with a bad
// signature is not an error but a JWTInfo with Valid false.
var errNotJWT = errors.New("not a JSON Web Token: expected three base64url parts separated by dots")

// VerifyJWT decodes token and checks it against sets at time now. Decoding never depends on
// the signature, so a forged or expired token is still shown in full.
func VerifyJWT(token string, sets []KeySet, now time.Time) (JWTInfo, error) {
	token = strings.TrimSpace(token)
	info := JWTInfo{NowMs: now.UnixMilli()}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return info, errNotJWT
	}
	if err := decodeSegment(parts[0], &info.Header); err != nil {
		return info, fmt.Errorf("JWT header: %w", err)
	}
	if err := decodeSegment(parts[1], &info.Claims); err != nil {
		return info, fmt.Errorf("JWT claims: %w", err)
	}
	info.IssuedAtMs = numericDateMs(info.Claims["iat"])
	info.NotBeforeMs = numericDateMs(info.Claims["nbf"])
	info.ExpiresAtMs = numericDateMs(info.Claims["exp"])
	kid, _ := info.Header["kid"].(string)
	info.KeyID = kid

	// Only RS256: the emulator signs nothing else, and accepting what the header asks for is the
	// classic JWT mistake this page should not model.
	jws, err := jwt.Parse(token)
	if err != nil {
		info.Reason = "signature not checked: " + trimPrefix(err)
		return info, nil
	}
	payload, set, keyID := verifyWithSets(jws, kid, sets)
	if payload == nil {
		info.Reason = "signature does not match any key the emulator publishes"
		if kid != "" {
			info.Reason = fmt.Sprintf("signature does not match any published key (kid %q)", kid)
		}
		return info, nil
	}
	info.SignatureValid = true
	info.KeySet, info.KeyID = set, keyID

	var claims jwt.Claims
	if err := json.Unmarshal(payload, &claims); err != nil {
		info.Reason = "signed, but the registered claims are malformed: " + err.Error()
		return info, nil
	}
	// No leeway: the page shows the same moment the emulator enforces.
	if err := claims.Validate("", now); err != nil {
		switch {
		case errors.Is(err, jwt.ErrExpired):
			info.Reason = fmt.Sprintf("signed by the %s key, but expired %s ago", set, roundAgo(now.Sub(claims.Expiry.Time())))
		case errors.Is(err, jwt.ErrNotValidYet), errors.Is(err, jwt.ErrIssuedInTheFuture):
			info.Reason = fmt.Sprintf("signed by the %s key, but not valid yet", set)
		default:
			info.Reason = "signed, but " + trimPrefix(err)
		}
		return info, nil
	}
	info.Valid = true
	info.Reason = fmt.Sprintf("signature verified with the %s key %s", set, keyID)
	return info, nil
}

// verifyWithSets tries the keys named by kid first and, when the header has no kid, every key,
// returning the verified payload and where the key came from.
func verifyWithSets(jws *jwt.Token, kid string, sets []KeySet) (payload []byte, set, keyID string) {
	for _, s := range sets {
		keys := s.Set.Keys
		if kid != "" {
			keys = s.Set.Find(kid)
		}
		for _, k := range keys {
			pub, err := k.PublicKey()
			if err != nil {
				continue
			}
			if p, err := jws.Verify(pub); err == nil {
				return p, s.Name, k.Kid
			}
		}
	}
	return nil, "", ""
}

// decodeSegment decodes one base64url JSON part of a compact JWS into v, accepting padding that
// some tools add.
func decodeSegment(seg string, v any) error {
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
	if err != nil {
		return fmt.Errorf("not base64url: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("not a JSON object: %w", err)
	}
	return nil
}

// numericDateMs converts a JWT NumericDate claim (seconds, possibly fractional) to Unix
// milliseconds; anything else is 0.
func numericDateMs(v any) int64 {
	n, ok := v.(json.Number)
	if !ok {
		return 0
	}
	f, err := n.Float64()
	if err != nil {
		return 0
	}
	return int64(f * 1000)
}

// roundAgo prints d to the second, the precision a reader cares about.
func roundAgo(d time.Duration) string { return d.Round(time.Second).String() }

// trimPrefix removes the package prefix from an error so the page shows plain words.
func trimPrefix(err error) string { return strings.TrimPrefix(err.Error(), "jwt: ") }
