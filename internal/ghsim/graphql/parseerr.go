package graphql

import (
	"fmt"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/lexer"
)

// rubyTokenNames are graphql-ruby's names for tokens, as its parse errors
// show them: Parse error on "}" (RCURLY) at [1, 18].
var rubyTokenNames = map[lexer.Type]string{
	lexer.Bang: "BANG", lexer.Dollar: "VAR_SIGN", lexer.Amp: "AMP", lexer.ParenL: "LPAREN", lexer.ParenR: "RPAREN",
	lexer.Spread: "ELLIPSIS", lexer.Colon: "COLON", lexer.Equals: "EQUALS", lexer.At: "DIR_SIGN",
	lexer.BracketL: "LBRACKET", lexer.BracketR: "RBRACKET", lexer.BraceL: "LCURLY", lexer.BraceR: "RCURLY",
	lexer.Pipe: "PIPE", lexer.Name: "IDENTIFIER", lexer.Int: "INT", lexer.Float: "FLOAT",
	lexer.String: "STRING", lexer.BlockString: "STRING",
}

// rubyParseError words a syntax error at line:column of query the way
// GitHub does, or returns "" when the token there cannot be found.
func rubyParseError(query string, line, column int) string {
	lx := lexer.New(&ast.Source{Input: query})
	for {
		tok, err := lx.ReadToken()
		if err != nil {
			return ""
		}
		if tok.Kind == lexer.EOF {
			return "Unexpected end of document"
		}
		if tok.Pos.Line > line || tok.Pos.Line == line && tok.Pos.Column >= column {
			name, ok := rubyTokenNames[tok.Kind]
			if !ok {
				return ""
			}
			text := tok.Value
			if text == "" && tok.Pos.Start >= 0 && tok.Pos.End <= len(query) && tok.Pos.Start < tok.Pos.End {
				text = query[tok.Pos.Start:tok.Pos.End]
			}
			return fmt.Sprintf("Parse error on %q (%s) at [%d, %d]", text, name, tok.Pos.Line, tok.Pos.Column)
		}
	}
}
