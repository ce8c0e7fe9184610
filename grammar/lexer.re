/* lexer.re: raw tokens of tn source (re2c); src/parse.c turns them into logical lines. */
#include "parse_internal.h"
#include "parser.h"

/* The text ends in a NUL sentinel, so there is no YYFILL: no rule may match
 * a NUL except `nul`, and every other byte has a rule (the `*` default).
 * Strings are matched whole here; parse.c decodes their contents. */
int lex_scan(TnLexer *L)
{
    for (;;) {
        L->tok = L->cur;
        /*!re2c
        re2c:api:style      = free-form;
        re2c:define:YYCTYPE = "unsigned char";
        re2c:define:YYCURSOR = "L->cur";
        re2c:define:YYMARKER = "L->mark";
        re2c:yyfill:enable  = 0;

        nul       = "\x00";
        eol       = "\r\n" | "\n" | "\r";
        blank     = [ \t\f];
        id_start  = [a-zA-Z_\x80-\xff];
        id_cont   = id_start | [0-9];
        name      = id_start id_cont*;

        digit     = [0-9];
        digitpart = digit ("_"? digit)*;
        decint    = [1-9] ("_"? digit)* | "0" ("_"? "0")*;
        zeroint   = "0" ("_"? digit)+;
        hexint    = "0" [xX] ("_"? [0-9a-fA-F])+;
        octint    = "0" [oO] ("_"? [0-7])+;
        binint    = "0" [bB] ("_"? [01])+;
        exponent  = [eE] [+-]? digitpart;
        pointfl   = digitpart? "." digitpart | digitpart ".";
        float     = pointfl exponent? | digitpart exponent;
        anynum    = decint | zeroint | hexint | octint | binint | float | digitpart;

        esc       = "\\" ("\r\n" | [^\x00]);
        sq_item   = [^'\\\r\n\x00] | esc;
        dq_item   = [^"\\\r\n\x00] | esc;
        tsq_item  = [^'\\\x00] | esc | "'" ([^'\\\x00] | esc) | "''" ([^'\\\x00] | esc);
        tdq_item  = [^"\\\x00] | esc | "\"" ([^"\\\x00] | esc) | "\"\"" ([^"\\\x00] | esc);
        prefix    = [rRuUfFbB] | [rR][fFbB] | [fFbB][rR];
        string    = prefix? ("'" sq_item* "'" | "\"" dq_item* "\""
                             | "'''" tsq_item* "'''" | "\"\"\"" tdq_item* "\"\"\"");
        str_open  = prefix? ("'" sq_item* | "\"" dq_item*);
        str_open3 = prefix? ("'''" tsq_item* | "\"\"\"" tdq_item*);

        nul                     { return LX_EOF; }
        blank+                  { continue; }
        "#" [^\r\n\x00]*        { continue; }
        eol                     { return LX_NEWLINE; }
        "\\" eol                { return LX_CONT; }
        "\\"                    { return LX_BADCONT; }

        "False"                 { return TK_FALSE; }
        "None"                  { return TK_NONE; }
        "True"                  { return TK_TRUE; }
        "and"                   { return TK_AND; }
        "as"                    { return TK_AS; }
        "assert"                { return TK_ASSERT; }
        "async"                 { return TK_ASYNC; }
        "await"                 { return TK_AWAIT; }
        "break"                 { return TK_BREAK; }
        "class"                 { return TK_CLASS; }
        "continue"              { return TK_CONTINUE; }
        "def"                   { return TK_DEF; }
        "del"                   { return TK_DEL; }
        "elif"                  { return TK_ELIF; }
        "else"                  { return TK_ELSE; }
        "except"                { return TK_EXCEPT; }
        "finally"               { return TK_FINALLY; }
        "for"                   { return TK_FOR; }
        "from"                  { return TK_FROM; }
        "global"                { return TK_GLOBAL; }
        "if"                    { return TK_IF; }
        "import"                { return TK_IMPORT; }
        "in"                    { return TK_IN; }
        "is"                    { return TK_IS; }
        "lambda"                { return TK_LAMBDA; }
        "nonlocal"              { return TK_NONLOCAL; }
        "not"                   { return TK_NOT; }
        "or"                    { return TK_OR; }
        "pass"                  { return TK_PASS; }
        "raise"                 { return TK_RAISE; }
        "return"                { return TK_RETURN; }
        "try"                   { return TK_TRY; }
        "while"                 { return TK_WHILE; }
        "with"                  { return TK_WITH; }
        "yield"                 { return TK_YIELD; }
        name                    { return TK_NAME; }

        decint | hexint | octint | binint   { return TK_INT; }
        float                   { return TK_FLOAT; }
        zeroint                 { return LX_ZERONUM; }
        (anynum) [jJ]           { return LX_IMAG; }
        anynum id_cont+         { return LX_BADNUM; }

        string                  { return LX_STRING; }
        str_open                { return LX_STR_OPEN; }
        str_open3               { return LX_STR_OPEN3; }

        "("                     { return TK_LPAREN; }
        ")"                     { return TK_RPAREN; }
        "["                     { return TK_LBRACKET; }
        "]"                     { return TK_RBRACKET; }
        "{"                     { return TK_LBRACE; }
        "}"                     { return TK_RBRACE; }
        ","                     { return TK_COMMA; }
        ":"                     { return TK_COLON; }
        ";"                     { return TK_SEMI; }
        "."                     { return TK_DOT; }
        "..."                   { return TK_ELLIPSIS; }
        "@"                     { return TK_AT; }
        "->"                    { return TK_ARROW; }
        "="                     { return TK_ASSIGN; }
        ":="                    { return TK_WALRUS; }

        "+"                     { return TK_PLUS; }
        "-"                     { return TK_MINUS; }
        "*"                     { return TK_STAR; }
        "/"                     { return TK_SLASH; }
        "//"                    { return TK_DSLASH; }
        "%"                     { return TK_PERCENT; }
        "**"                    { return TK_DSTAR; }
        "<<"                    { return TK_LSHIFT; }
        ">>"                    { return TK_RSHIFT; }
        "&"                     { return TK_AMPER; }
        "|"                     { return TK_VBAR; }
        "^"                     { return TK_CIRCUMFLEX; }
        "~"                     { return TK_TILDE; }

        "<"                     { return TK_LT; }
        "<="                    { return TK_LE; }
        ">"                     { return TK_GT; }
        ">="                    { return TK_GE; }
        "=="                    { return TK_EQ; }
        "!="                    { return TK_NE; }
        "!"                     { return LX_BANG; }

        "+="                    { return TK_AUGADD; }
        "-="                    { return TK_AUGSUB; }
        "*="                    { return TK_AUGMUL; }
        "/="                    { return TK_AUGDIV; }
        "//="                   { return TK_AUGFLOORDIV; }
        "%="                    { return TK_AUGMOD; }
        "**="                   { return TK_AUGPOW; }
        "@="                    { return TK_AUGMATMUL; }
        "&="                    { return TK_AUGAND; }
        "|="                    { return TK_AUGOR; }
        "^="                    { return TK_AUGXOR; }
        "<<="                   { return TK_AUGLSHIFT; }
        ">>="                   { return TK_AUGRSHIFT; }

        *                       { return LX_INVALID; }
        */
    }
}
