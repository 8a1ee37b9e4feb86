#!/usr/bin/env python3
"""The external commands that shell scripts run.

    python3 tests/tools/shcommands.py FILE...

Prints one line per command, sorted: NAME FILE:LINE (its first use).
NAME is a command word (dig) or an absolute path (/usr/sbin/postfix).

A lexer of POSIX sh and bash, good enough for this project's scripts:
quotes, escapes, comments, here-documents (skipped, but their $(...)
read when the delimiter is unquoted), $(...), `...`, <(...), case
patterns, for lists, redirections, assignments, and the wrappers whose
arguments begin with another command (env, timeout, ip netns exec,
sh -c, trap, and every function of the scanned files that runs "$@").
It cannot see a command named only in a variable ("$bin"), but every
absolute path under /bin, /sbin, /usr/bin, /usr/sbin or /usr/lib named
anywhere (a configuration written by a test, say) counts as run.
Builtins, keywords and the functions the files define are left out.
"""
import re
import sys

KEYWORDS = {'if', 'then', 'else', 'elif', 'fi', 'do', 'done', 'while',
            'until', 'for', 'case', 'esac', 'in', '{', '}', '!', 'function',
            'select', '[[', ']]', 'time', 'coproc'}
BUILTINS = set('''. : [ alias bg break builtin caller cd command compgen
complete continue declare dirs disown echo enable eval exec exit export false
fc fg getopts hash help history jobs kill let local logout mapfile popd
printf pushd pwd read readarray readonly return set shift shopt source
suspend test times trap true type typeset ulimit umask unalias unset
wait'''.split())
ASSIGN = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?\+?=')
NAME = re.compile(r'^(/[A-Za-z0-9._+/-]+|[A-Za-z0-9][A-Za-z0-9._+-]*)$')
PATHS = re.compile(r'(?<![A-Za-z0-9_$}./*-])/(?:usr/)?(?:s?bin|lib)/[A-Za-z0-9._+/-]*[A-Za-z0-9+_]')
REDIR = re.compile(r'\d*(<<<|<<-|<<|>>|<&|>&|<>|>\||&>>|&>|<|>)')


class Word:
    def __init__(self, raw, value, lit, line):
        self.raw, self.value, self.lit, self.line = raw, value, lit, line


class Lexer:
    """Splits TEXT into tokens: Word, ('op', s, line), ('nl', line).
    Command substitutions become separate token lists in self.subs."""

    def __init__(self, text, line, subs):
        self.t, self.i, self.line, self.subs = text, 0, line, subs
        self.heredocs = []

    def peek(self, n=0):
        j = self.i + n
        return self.t[j] if j < len(self.t) else ''

    def sub(self, close):
        """Lexes a nested script from self.i up to CLOSE; stores it."""
        lx = Lexer(self.t, self.line, self.subs)
        lx.i = self.i
        toks = lx.tokens(close)
        self.subs.append(toks)
        self.i, self.line = lx.i, lx.line

    def skip_balanced(self, opn, cls):
        depth = 0
        start = self.i
        while self.i < len(self.t):
            c = self.t[self.i]
            if c == '\\':
                self.i += 1
            elif c == opn:
                depth += 1
            elif c == cls:
                depth -= 1
                if depth == 0:
                    self.i += 1
                    break
            self.i += 1
        self.line += self.t.count('\n', start, self.i)

    def dollar(self):
        """At '$': consumes an expansion; returns its raw text."""
        start = self.i
        if self.t.startswith('$((', self.i):
            self.i += 1
            self.skip_balanced('(', ')')
        elif self.t.startswith('$(', self.i):
            self.i += 2
            self.sub(')')
        elif self.t.startswith('${', self.i):
            self.i += 1
            self.skip_balanced('{', '}')
        elif self.t.startswith("$'", self.i):
            self.i += 2
            while self.i < len(self.t) and self.t[self.i] != "'":
                self.i += 2 if self.t[self.i] == '\\' else 1
            self.i += 1
        else:
            self.i += 1
            m = re.match(r'[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-]', self.t[self.i:])
            if m:
                self.i += m.end()
        return self.t[start:self.i]

    def backtick(self):
        end = self.t.find('`', self.i + 1)
        end = len(self.t) if end < 0 else end
        inner = self.t[self.i + 1:end]
        self.subs.append(Lexer(inner, self.line, self.subs).tokens(None))
        self.line += inner.count('\n')
        self.i = end + 1

    def expansion(self, c, value):
        """A $ or ` expansion at self.i (c is which): what a $ stands for
        goes into value; a command substitution is lexed on its own."""
        if c == '$':
            value.append(self.dollar())
        else:
            self.backtick()

    def word(self):
        line, start, value, lit = self.line, self.i, [], True
        while self.i < len(self.t):
            c = self.t[self.i]
            if c in ' \t\n;&|()<>':
                if c in '<>' and self.peek(1) == '(' :
                    pass  # a process substitution inside a word: rare
                break
            if c == '\\':
                if self.peek(1) == '\n':
                    self.line += 1
                else:
                    value.append(self.peek(1))
                self.i += 2
            elif c == "'":
                end = self.t.find("'", self.i + 1)
                end = len(self.t) if end < 0 else end
                value.append(self.t[self.i + 1:end])
                self.line += self.t.count('\n', self.i, end)
                self.i = end + 1
            elif c == '"':
                self.i += 1
                while self.i < len(self.t) and self.t[self.i] != '"':
                    d = self.t[self.i]
                    if d == '\\':
                        value.append(self.peek(1))
                        self.i += 2
                    elif d in '$`':
                        self.expansion(d, value)
                        lit = False
                    else:
                        if d == '\n':
                            self.line += 1
                        value.append(d)
                        self.i += 1
                self.i += 1
            elif c in '$`':
                self.expansion(c, value)
                lit = False
            elif c == '=' and self.peek(1) == '(' and ASSIGN.match(self.t[start:self.i + 1]):
                self.i += 1          # a bash array: name=( ... )
                self.skip_balanced('(', ')')
                lit = False
            else:
                value.append(c)
                self.i += 1
        return Word(self.t[start:self.i], ''.join(value), lit, line)

    def heredoc_bodies(self):
        for delim, strip, expand in self.heredocs:
            body, line = [], self.line
            while self.i < len(self.t):
                end = self.t.find('\n', self.i)
                end = len(self.t) if end < 0 else end
                text = self.t[self.i:end]
                self.i = end + 1
                self.line += 1
                if (text.lstrip('\t') if strip else text) == delim:
                    break
                body.append(text)
            if body and re.match(r'#!.*\b(ba|da)?sh\b|set -', body[0]):
                # A script the test writes, then runs (\$ is $ in it).
                text = '\n'.join(body)
                if expand:
                    text = re.sub(r'\\([$`\\])', r'\1', text)
                self.subs.append(Lexer(text, line, self.subs).tokens(None))
            elif expand:
                for n, text in enumerate(body):
                    self.subst_in(text, line + n)
        self.heredocs = []

    def subst_in(self, text, line):
        """The $(...) and `...` of an expanding here-document line."""
        lx = Lexer(text, line, self.subs)
        while lx.i < len(text):
            c = text[lx.i]
            if c == '\\':
                lx.i += 2
            elif c == '$':
                lx.dollar()
            elif c == '`':
                lx.backtick()
            else:
                lx.i += 1

    def tokens(self, close):
        out = []
        while self.i < len(self.t):
            c = self.t[self.i]
            if close and c == close:
                self.i += 1
                return out
            if c in ' \t':
                self.i += 1
            elif c == '\\' and self.peek(1) == '\n':
                self.i += 2
                self.line += 1
            elif c == '\n':
                out.append(('nl', self.line))
                self.i += 1
                self.line += 1
                self.heredoc_bodies()
            elif c == '#':
                end = self.t.find('\n', self.i)
                self.i = len(self.t) if end < 0 else end
            elif c in '<>' and self.peek(1) == '(':
                self.i += 2
                self.sub(')')
            elif REDIR.match(self.t, self.i) and (c in '<>&' or REDIR.match(self.t, self.i).group(0)[-1] in '<>' and re.match(r'\d+[<>]', self.t[self.i:])):
                m = REDIR.match(self.t, self.i)
                op = m.group(1)
                if op == '&>' or op == '&>>' or c != '&':
                    self.i = m.end()
                    out.append(('redir', op, self.line))
                    while self.peek() in (' ', '\t'):
                        self.i += 1
                    w = self.word()
                    if op in ('<<', '<<-'):
                        delim = w.value
                        self.heredocs.append((delim, op == '<<-', not re.search(r'[\'"\\]', w.raw)))
                    continue
                out.append(('op', '&', self.line))
                self.i += 1
            elif c in ';&|()':
                two = self.t[self.i:self.i + 2]
                op = two if two in (';;', '&&', '||', '|&', ';&') else c
                self.i += len(op)
                out.append(('op', op, self.line))
            else:
                out.append(self.word())
        return out


WRAP_SKIP_ARG = {  # options that take an argument, per wrapper
    'env': {'-u', '-C', '-S'}, 'timeout': {'-s', '-k'}, 'nice': {'-n'},
    'ionice': {'-c', '-n', '-p'}, 'xargs': {'-n', '-I', '-P', '-d', '-L', '-s', '-E', '-a'},
    'flock': {'-w', '-E'}, 'sudo': {'-u', '-g'}, 'chroot': set(), 'setsid': set(),
    'nohup': set(), 'exec': {'-a'}, 'stdbuf': set(), 'valgrind': set(),
    'unshare': {'--propagation'}, 'nsenter': {'-t', '-n'}, 'command': set(), 'time': set(),
}
# After the options: how many operands come before the command.
WRAP_OPERANDS = {'timeout': 1, 'flock': 1, 'chroot': 1}
SHELLS = {'sh', 'bash', 'dash', '/bin/sh', '/bin/bash', 'su'}


class Scanner:
    def __init__(self):
        self.found = {}      # name -> "file:line"
        self.functions = set()
        self.wrappers = {}      # function -> arguments it shifts away
        self.at_cmd = False
        self.file = ''

    def note(self, name, line):
        if NAME.match(name) and not name.isdigit():
            self.found.setdefault(name, '%s:%d' % (self.file, line))

    def script(self, text, line=1):
        subs = []
        toks = Lexer(text, line, subs).tokens(None)
        self.run(toks)
        # Substitutions may hold substitutions: subs grows as we go.
        for s in subs:
            self.run(s)

    def run(self, toks):
        cmdpos, skip_target = True, False
        stack = []            # 'case-word', 'case-pat', 'for'
        wrap, wrap_n, opskip = None, 0, False
        prev = None
        for k, tok in enumerate(toks):
            if isinstance(tok, tuple):
                kind = tok[0]
                if kind == 'redir':
                    skip_target = True
                    prev = tok
                    continue
                op = tok[1] if kind == 'op' else '\n'
                if stack and stack[-1] == 'case-pat':
                    if op == ')':
                        stack[-1] = 'case-body'
                        cmdpos = True
                    prev = tok
                    continue
                if op == ';;' or op == ';&':
                    if stack and stack[-1] == 'case-body':
                        stack[-1] = 'case-pat'
                if op == '(' and isinstance(prev, Word) and not cmdpos and \
                        k + 1 < len(toks) and toks[k + 1][:2] == ('op', ')'):
                    self.functions.add(prev.value)   # name() { ... }
                    self.found.pop(prev.value, None)
                cmdpos, wrap, skip_target = True, None, False
                prev = tok
                continue
            w = tok
            prev = w
            if skip_target:
                skip_target = False
                continue
            top = stack[-1] if stack else None
            if top == 'for':
                if w.value == 'do':
                    stack.pop()
                    cmdpos = True
                continue
            if top == 'case-word':
                if w.value == 'in':
                    stack[-1] = 'case-pat'
                continue
            if top == 'case-pat':
                if w.value == 'esac':
                    stack.pop()
                    cmdpos = False
                continue
            if wrap is not None:
                self.wrapped(w, wrap)
                continue
            if not cmdpos:
                continue
            if w.raw == '"$@"':
                self.at_cmd = True
            v = w.value
            if w.lit and ASSIGN.match(w.raw):
                continue
            if w.lit and v in KEYWORDS and w.raw == v:
                if v == 'for' or v == 'select':
                    stack.append('for')
                elif v == 'case':
                    stack.append('case-word')
                elif v == 'esac' and stack:
                    stack.pop()
                elif v == 'function':
                    cmdpos = False
                    wrap = {'name': 'function'}
                continue
            cmdpos = False
            if not w.lit:
                continue
            self.note(v, w.line)
            if v in WRAP_SKIP_ARG or v in SHELLS or v in ('ip', 'trap', 'eval') or v in self.wrappers:
                wrap = {'name': v, 'operands': self.wrappers.get(v, WRAP_OPERANDS.get(v, 0)),
                        'optarg': False, 'args': []}

    def wrapped(self, w, st):
        """One argument of a wrapper command: the command it runs?"""
        name = st['name']
        if name == 'function':
            self.functions.add(w.value)
            st['name'] = None
            return
        if name is None or name == 'done':
            return
        v = w.value
        st['args'].append(v)
        if name in SHELLS:
            if st.get('c'):
                self.script(v, w.line)
                st['name'] = 'done'
            elif v == '-c' or (v.startswith('-') and 'c' in v and name != 'su'):
                st['c'] = True
            return
        if name == 'trap' or name == 'eval':
            if len(st['args']) == 1:
                self.script(v, w.line)
            return
        if name == 'ip':
            if st['args'][:2] == ['netns', 'exec'] and len(st['args']) == 4:
                self.take(w, st)
            return
        if name in self.wrappers:
            if st['operands'] > 0:
                st['operands'] -= 1
            elif not w.lit and re.match(r'^"?\$\{?[A-Za-z_][A-Za-z0-9_]*\}?"?$', w.raw):
                self.take(w, st)     # a command in a variable: unknown
            elif w.lit and ' ' not in v and NAME.match(v) and not v.isdigit() and not v.startswith('-'):
                self.take(w, st)
            return
        if name == 'command' and v in ('-v', '-V'):
            st['name'] = 'done'
            return
        if st['optarg']:
            st['optarg'] = False
            return
        if v.startswith('-') and not st.get('operand'):
            st['optarg'] = v in WRAP_SKIP_ARG.get(name, ())
            return
        if name == 'env' and ASSIGN.match(v):
            return
        if st['operands'] > 0:
            st['operands'] -= 1
            st['operand'] = True
            return
        self.take(w, st)

    def take(self, w, st):
        st['name'] = 'done'
        if w.raw == '"$@"':
            self.at_cmd = True
        if w.lit:
            self.note(w.value, w.line)
            if w.value in self.wrappers or w.value in WRAP_SKIP_ARG:
                st.update({'name': w.value,
                           'operands': self.wrappers.get(w.value, WRAP_OPERANDS.get(w.value, 0)),
                           'optarg': False, 'args': [], 'operand': False})


def main(files):
    texts = []
    for f in files:
        with open(f, encoding='utf-8', errors='replace') as fh:
            texts.append((f, fh.read()))
    sc = Scanner()
    # Functions that run their arguments ("$@" as a command, perhaps
    # behind another wrapper) are wrappers; twice, for wrappers of wrappers.
    bodies = []
    for f, text in texts:
        for m in re.finditer(r'(?m)^([ \t]*)(?:function\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*\(\)\s*([{(])(.*)$', text):
            body = m.group(4)
            if not re.search(r'[})]\s*$', body):
                end = re.compile(r'(?m)^' + m.group(1) + r'[})]').search(text, m.end())
                body = text[m.end():end.start() if end else len(text)]
            bodies.append((m.group(2), body))
    for _ in range(2):
        for name, body in bodies:
            sc.at_cmd = False
            sc.script(body)
            if sc.at_cmd:
                shifts = sum(int(n or 1) for n in re.findall(r'\bshift(?: +(\d+))?', body))
                sc.wrappers[name] = min(shifts, sc.wrappers.get(name, shifts))
    sc.found, sc.functions = {}, set()
    for f, text in texts:
        sc.file = f
        sc.script(text)
        for n, line in enumerate(text.split('\n'), 1):
            line = re.sub(r'(^|\s)#.*', '', line)    # a comment, roughly
            for m in PATHS.finditer(line):
                if line[m.end():m.end() + 2] not in ('-*', '*', '?', '['):
                    sc.note(m.group(0), n)
    for name in sorted(sc.found):
        if name in BUILTINS or name in KEYWORDS or name in sc.functions:
            continue
        print(name, sc.found[name])


if __name__ == '__main__':
    main(sys.argv[1:])
