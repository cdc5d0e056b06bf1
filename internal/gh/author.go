package gh

import (
	"strconv"
	"strings"
)

// AuthoredBy reports whether the head commit of b was authored by the
// account login whose databaseId is id (the token's viewer): its author is
// that GitHub user, or its author email is the account's noreply address,
// "<id>+<login>@users.noreply.github.com", which GitHub gives the API
// commits of an account that shows no public email
// (https://docs.github.com/account-and-profile/setting-up-and-managing-your-personal-account-on-github/managing-email-preferences/setting-your-commit-email-address).
// The email matters for a GitHub App installation token: its commits are
// authored by the app's bot, which is not a User, so the author's user is
// null. On GitHub Enterprise the noreply domain is the server's
// ("users.noreply.HOST"), so any such domain is accepted.
func (b *Branch) AuthoredBy(login string, id int64) bool {
	if b == nil || login == "" {
		return false
	}
	if b.HeadAuthor != "" && strings.EqualFold(b.HeadAuthor, login) {
		return true
	}
	if id <= 0 {
		return false
	}
	local, domain, ok := strings.Cut(b.HeadAuthorEmail, "@")
	return ok && strings.EqualFold(local, strconv.FormatInt(id, 10)+"+"+login) &&
		strings.HasPrefix(strings.ToLower(domain), "users.noreply.")
}
