package ghsim

// GitHub's repository contents API: reading and writing one file.

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"

	"github.com/dfiu/dfiu/internal/ghsim/state"
)

// refParam returns a ref query parameter, defaulting to the default branch.
func refParam(c *call, r state.Repo) string {
	if ref := c.r.URL.Query().Get("ref"); ref != "" {
		return ref
	}
	return r.DefaultBranch
}

func (s *Server) getContents(c *call, r state.Repo) (int, any, error) {
	path := strings.Trim(c.r.PathValue("path"), "/")
	ref := refParam(c, r)
	if path != "" {
		f, err := s.world.FileAt(c.actor, r.ID, c.r.URL.Query().Get("ref"), path)
		if err == nil {
			if accept := c.r.Header.Get("Accept"); strings.Contains(accept, ".raw") {
				ct := "application/vnd.github.raw; charset=utf-8"
				if strings.Contains(accept, "vnd.github.v3.raw") {
					ct = "application/vnd.github.v3.raw; charset=utf-8"
				}
				c.w.Header().Set("Content-Type", ct)
				c.w.Header().Set("X-GitHub-Media-Type", "github.v3; param=raw")
				c.w.WriteHeader(http.StatusOK)
				c.w.Write(f.Content)
				return 0, nil, nil
			}
			o := c.l.contentJSON(r.FullName(), ref, f.Path, "file", f.SHA, len(f.Content))
			o["content"] = base64Lines(f.Content)
			o["encoding"] = "base64"
			return http.StatusOK, o, nil
		}
	}
	entries, _, err := s.world.Dir(c.actor, r.ID, c.r.URL.Query().Get("ref"), path)
	if err != nil {
		return 0, nil, err
	}
	out := []obj{}
	for _, e := range entries {
		typ := "file"
		if e.Type == state.TypeTree {
			typ = "dir"
		}
		out = append(out, c.l.contentJSON(r.FullName(), ref, e.Path, typ, e.OID, e.Size))
	}
	return http.StatusOK, out, nil
}

func (s *Server) putContents(c *call, r state.Repo) (int, any, error) {
	var body struct {
		Message string  `json:"message"`
		Content *string `json:"content"`
		SHA     string  `json:"sha"`
		Branch  string  `json:"branch"`
	}
	if err := c.decode(&body); err != nil {
		return 0, nil, err
	}
	path := strings.Trim(c.r.PathValue("path"), "/")
	if body.Message == "" {
		return 0, nil, invalid("Commit", "message", "missing_field")
	}
	if body.Content == nil {
		return 0, nil, invalid("Commit", "content", "missing_field")
	}
	content, err := decodeBase64(*body.Content)
	if err != nil {
		return 0, nil, errorf(http.StatusUnprocessableEntity, "content is not valid Base64")
	}
	branch := body.Branch
	if branch == "" {
		branch = r.DefaultBranch
	}
	status := http.StatusCreated
	head := ""
	if ref, err := s.world.Ref(c.actor, r.ID, "heads/"+branch); err == nil {
		head = ref.OID
		old, err := s.world.FileAt(c.actor, r.ID, head, path)
		switch {
		case err == nil && body.SHA == "":
			return 0, nil, errorf(http.StatusUnprocessableEntity, "Invalid request.\n\n\"sha\" wasn't supplied.")
		case err == nil && body.SHA != old.SHA:
			return 0, nil, errorf(http.StatusConflict, fmt.Sprintf("%s does not match %s", path, body.SHA))
		case err == nil:
			status = http.StatusOK
		case body.SHA != "":
			return 0, nil, errorf(http.StatusConflict, fmt.Sprintf("%s does not match %s", path, body.SHA))
		}
	} else if !r.Empty {
		return 0, nil, errorf(http.StatusNotFound, "Branch "+branch+" not found")
	}
	headline, rest, _ := strings.Cut(body.Message, "\n")
	commit, err := s.world.CommitOnBranch(c.actor, r.ID, state.CommitInput{Branch: branch, ExpectedHeadOID: head,
		Additions: map[string][]byte{path: content}, Headline: headline, Body: strings.TrimLeft(rest, "\n"), AllowCreate: r.Empty})
	if err != nil {
		return 0, nil, err
	}
	f, err := s.world.FileAt(c.actor, r.ID, commit.OID, path)
	if err != nil {
		return 0, nil, err
	}
	content2 := c.l.contentJSON(r.FullName(), branch, f.Path, "file", f.SHA, len(f.Content))
	gc := c.l.gitCommitJSON(r, commit)
	gc["verification"] = verificationJSON(commit)
	return status, obj{"content": content2, "commit": gc}, nil
}

// decodeBase64 accepts standard base64 with or without line breaks.
func decodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == ' ' {
			return -1
		}
		return r
	}, s)
	return base64.StdEncoding.DecodeString(s)
}
