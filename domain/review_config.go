package domain

import (
	"fmt"
	"slices"
)

// ReviewSettings says who reviews incidents: the organisations whose reviewers open reviews (the
// subcommittee) and the organisations that must sign every review before it is complete.
type ReviewSettings struct {
	// Openers may open reviews; empty: every organisation of kind SUBCOMMITTEE.
	Openers []string `json:"openers,omitempty"`
	// Signers must each sign off; empty: the four forces and the subcommittee (police, military,
	// dic, propaganda, subcommittee), those of them in the directory.
	Signers []string `json:"signers,omitempty"`
}

// DefaultReviewSigners are the required signers when the configuration names none.
var DefaultReviewSigners = []string{"police", "military", "dic", "propaganda", "subcommittee"}

func (r ReviewSettings) clone() ReviewSettings {
	r.Openers, r.Signers = slices.Clone(r.Openers), slices.Clone(r.Signers)
	return r
}

// ReviewSigners returns the organisations that must sign a review opened now.
func (c *Config) ReviewSigners() []string {
	if len(c.Review.Signers) > 0 {
		return slices.Clone(c.Review.Signers)
	}
	var out []string
	for _, s := range DefaultReviewSigners {
		if _, ok := c.Org(s); ok {
			out = append(out, s)
		}
	}
	return out
}

// IsReviewOpener reports whether org's reviewers may open reviews (the subcommittee).
func (c *Config) IsReviewOpener(org string) bool {
	if len(c.Review.Openers) > 0 {
		return slices.Contains(c.Review.Openers, org)
	}
	o, ok := c.Org(org)
	return ok && o.Kind == "SUBCOMMITTEE"
}

// reviewProblems checks the review settings against the directory.
func (c *Config) reviewProblems(add func(path, format string, args ...any)) {
	for _, l := range []struct {
		name string
		orgs []string
	}{{"review.openers", c.Review.Openers}, {"review.signers", c.Review.Signers}} {
		seen := map[string]bool{}
		for i, org := range l.orgs {
			at := fmt.Sprintf("%s[%d]", l.name, i)
			if _, ok := c.Org(org); !ok {
				add(at, "unknown organisation %q; use a slug listed under organisations", org)
			} else if seen[org] {
				add(at, "%q is listed twice", org)
			}
			seen[org] = true
		}
	}
}

// ActsOnReviews reports whether role r may open, sign and record findings on reviews (its
// organisation and the review's audience then decide); other roles only read them.
func ActsOnReviews(r Role) bool { return reviewRole(r) }
