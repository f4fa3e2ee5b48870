//! Loading a script: compiling it once in the sandbox, imports resolved, and every problem
//! reported as a diagnostic in the script's own file.

use std::sync::Arc;

use rhai::module_resolvers::DummyModuleResolver;
use rhai::{Dynamic, EvalAltResult, LexError, ParseErrorType, Position, Scope};

use super::helpers::{self, CalendarSet};
use super::imports::{FolderResolver, Problem};
use super::sandbox::sandbox;
use super::view::{self, Expose};
use super::{Hooks, Names, Scripts, HOOKS, HOOK_SIGNATURES};
use crate::business_time::Calendar;
use crate::check::{Model, ScriptLimits, ScriptsDef};
use crate::source::{FileId, Sink, Span};

/// Byte offset of a Rhai position (1-based line and character column) in `text`.
pub(super) fn offset_of(text: &str, pos: Position) -> usize {
    let Some(line) = pos.line() else {
        return 0;
    };
    let column = pos.position().unwrap_or(1).saturating_sub(1);
    let mut start = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            let body = l.trim_end_matches(['\n', '\r']);
            return start
                + body
                    .char_indices()
                    .nth(column)
                    .map_or(body.len(), |(b, _)| b);
        }
        start += l.len();
    }
    text.len()
}

/// The span of the token at a Rhai position: an identifier, or one character.
pub(super) fn span_at(file: FileId, text: &str, pos: Position) -> Span {
    let start = offset_of(text, pos);
    let rest = text.get(start..).unwrap_or("");
    let word = rest
        .char_indices()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
        .map_or(rest.len(), |(i, _)| i);
    let len = if word > 0 {
        word
    } else {
        rest.chars().next().map_or(0, char::len_utf8)
    };
    Span {
        file,
        range: start..start + len,
    }
}

/// The span of the line that defines function `name` (the file's start if none does).
pub(super) fn fn_span(file: FileId, text: &str, name: &str) -> Span {
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        if defines(line).is_some_and(|n| n == name) {
            let body = line.trim_end();
            let lead = body.len() - body.trim_start().len();
            return Span {
                file,
                range: start + lead..start + body.len(),
            };
        }
        start += line.len();
    }
    Span { file, range: 0..0 }
}

/// Where `fn name(` is written in `text` (the 0-based line), if it is.
pub(super) fn fn_line(text: &str, name: &str) -> Option<usize> {
    text.lines()
        .position(|l| defines(l).is_some_and(|n| n == name))
}

/// The function a line defines, if it starts a definition.
pub(super) fn defines(line: &str) -> Option<&str> {
    let t = line.trim_start();
    let t = t.strip_prefix("private").map_or(t, str::trim_start);
    let rest = t.strip_prefix("fn")?;
    if !rest.starts_with(char::is_whitespace) {
        return None;
    }
    let rest = rest.trim_start();
    let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_'))?;
    rest[end..]
        .trim_start()
        .starts_with('(')
        .then(|| &rest[..end])
}

pub(super) fn hint_for(e: &ParseErrorType, limits: &ScriptLimits) -> String {
    match e {
        ParseErrorType::BadInput(LexError::ImproperSymbol(word, _)) if word == "eval" => {
            "`eval` is not available to policy scripts; write the logic as functions".into()
        }
        ParseErrorType::MissingToken(token, _) => format!("add `{token}` here"),
        ParseErrorType::VariableUndefined(_) => {
            "declare variables with `let`; hooks read the ticket through their `ticket` parameter"
                .into()
        }
        ParseErrorType::ExprTooDeep => {
            format!(
                "expressions nest at most max_expr_depth = {} levels deep",
                limits.max_expr_depth
            )
        }
        _ => "see https://rhai.rs/book/ for the language".into(),
    }
}

/// Reports a syntax error. A missing token is reported right after the text it should follow
/// (Rhai reports it at the next token, often on the next line).
pub(super) fn syntax_error(
    sink: &mut Sink,
    file: FileId,
    text: &str,
    kind: &ParseErrorType,
    pos: Position,
    limits: &ScriptLimits,
) {
    let mut span = span_at(file, text, pos);
    if matches!(kind, ParseErrorType::MissingToken(..)) {
        let before = text.get(..span.range.start).unwrap_or("");
        let end = before.trim_end().len();
        if end > 0 && end < span.range.start {
            span = Span {
                file,
                range: end..end,
            };
        }
    }
    sink.error("script", &span, format!("syntax error: {kind}"))
        .hint(hint_for(kind, limits));
}

impl Scripts {
    /// Compiles the script once for the life of the policy. Problems become diagnostics in
    /// the script's own file (syntax, imports) or at `[scripts] path`.
    pub(crate) fn compile(
        def: &ScriptsDef,
        model: &Model,
        calendars: &[(Arc<str>, Calendar)],
        sink: &mut Sink,
    ) -> Option<Scripts> {
        let path = def.base.join(&def.path.name);
        let source: Arc<str> = Arc::from(def.source.as_str());
        let file = sink.sources.add(path.display().to_string(), source.clone());

        let by_name =
            |name: Option<&str>| name.and_then(|n| calendars.iter().position(|(c, _)| &**c == n));
        let default = by_name(model.calendar.as_ref().map(|r| r.name.as_str()))
            .or_else(|| by_name(model.sla.calendar.as_ref().map(|r| r.name.as_str())))
            .or((calendars.len() == 1).then_some(0));
        let zone = default
            .and_then(|i| calendars.get(i))
            .map_or(chrono_tz::UTC, |(_, c)| c.timezone());
        let set = Arc::new(CalendarSet {
            calendars: calendars.to_vec(),
            default,
        });

        let mut engine = sandbox(&def.limits);
        helpers::register(&mut engine, set);
        let (resolver, problems) =
            FolderResolver::new(sink.root.as_deref(), &path, sink.max_file_bytes);
        engine.set_module_resolver(resolver);
        let compiled = engine.compile_into_self_contained(&Scope::new(), &*source);
        // From here on nothing is resolved: the modules are embedded in the AST.
        engine.set_module_resolver(DummyModuleResolver::new());

        sink.files.extend(problems.files());
        sink.read.extend(problems.read());
        let problems = problems.take();
        let had_problems = !problems.is_empty();
        for p in problems {
            report_import(p, file, &source, &def.limits, sink);
        }
        let ast = match compiled {
            Ok(ast) => ast,
            Err(e) => {
                match *e {
                    EvalAltResult::ErrorParsing(ref kind, pos) => {
                        syntax_error(sink, file, &source, kind, pos, &def.limits);
                    }
                    _ if had_problems => {}
                    ref other => {
                        sink.error(
                            "script",
                            &def.path.span,
                            format!("script `{}` cannot be loaded: {other}", def.path.name),
                        );
                    }
                }
                return None;
            }
        };

        let mut hooks = Hooks::default();
        let mut ok = true;
        let mut others = Vec::new();
        for f in ast.iter_functions() {
            let n = f.params.len();
            match (f.name, n) {
                ("classify", 1 | 2) => {
                    hooks.classify = Some(hooks.classify.map_or(n, |m| m.max(n)))
                }
                ("prioritise", 2) => hooks.prioritise = true,
                ("route", 2) => hooks.route = true,
                ("targets", 2) => hooks.targets = true,
                (name, _) if HOOKS.contains(&name) => {
                    ok = false;
                    let expected = if name == "classify" {
                        "1 or 2 parameters"
                    } else {
                        "2 parameters"
                    };
                    sink.error(
                        "script",
                        &fn_span(file, &source, name),
                        format!("hook `{name}` takes {expected}, this definition has {n}"),
                    )
                    .hint(HOOK_SIGNATURES);
                }
                (name, _) => others.push(name.to_string()),
            }
        }
        // A near miss (`prioritize`, `rout`) is probably meant as a hook; a helper such as
        // `classify_text` is not.
        for name in others {
            let near = HOOKS.iter().find(|h| strsim::levenshtein(&name, h) <= 2);
            if let Some(hook) = near {
                sink.warning(
                    "script-not-a-hook",
                    &fn_span(file, &source, &name),
                    format!("function `{name}` is not a hook and is never called by the policy"),
                )
                .hint(format!("did you mean `{hook}`?"));
            }
        }
        if !hooks.any() && ok {
            sink.warning(
                "script-no-hook",
                &def.path.span,
                format!("script `{}` defines no hook", def.path.name),
            )
            .hint(HOOK_SIGNATURES);
        }
        if !ok {
            return None;
        }

        Some(Scripts {
            engine,
            ast,
            name: Arc::from(def.path.name.as_str()),
            source,
            on_error: def.on_error,
            limits: def.limits,
            expose: Expose::from_list(&def.expose),
            templates: view::Templates::new(Expose::from_list(&def.expose)),
            decisions: [
                &["category"][..],
                &["category", "priority"],
                &["category", "department", "priority", "team"],
                &["category", "department", "priority", "targets", "team"],
            ]
            .iter()
            .map(|keys| keys.iter().map(|k| ((*k).into(), Dynamic::UNIT)).collect())
            .collect(),
            hooks,
            categories: model
                .categories
                .iter()
                .map(|c| Arc::from(c.id.name.as_str()))
                .collect(),
            names: Names {
                categories: model
                    .categories
                    .iter()
                    .map(|c| c.id.name.as_str().into())
                    .collect(),
                priorities: model
                    .priorities
                    .iter()
                    .map(|p| p.name.as_str().into())
                    .collect(),
                departments: model
                    .departments
                    .iter()
                    .map(|d| d.id.name.as_str().into())
                    .collect(),
            },
            zone,
            rule: Arc::from("script"),
        })
    }
}

pub(super) fn report_import(
    p: Problem,
    main: FileId,
    main_text: &Arc<str>,
    limits: &ScriptLimits,
    sink: &mut Sink,
) {
    match p {
        Problem::Syntax { name, text, error } => {
            let id = sink.sources.add(name, text.clone());
            syntax_error(sink, id, &text, error.err_type(), error.position(), limits);
        }
        Problem::Failed {
            name,
            text,
            message,
            position,
        } => {
            let id = sink.sources.add(name, text.clone());
            sink.error(
                "script",
                &span_at(id, &text, position),
                format!("imported script fails: {message}"),
            )
            .hint("the top level of an imported script runs once, when the policy loads");
        }
        Problem::Unresolved {
            importer,
            path,
            message,
        } => {
            let (id, text) = match importer {
                Some((name, text)) => (sink.sources.add(name, text.clone()), text),
                None => (main, main_text.clone()),
            };
            let literal = format!("\"{path}\"");
            let start = text.find(&literal).unwrap_or(0);
            let len = if text.get(start..).is_some_and(|t| t.starts_with(&literal)) {
                literal.len()
            } else {
                0
            };
            sink.error("script", 
                &Span {
                    file: id,
                    range: start..start + len,
                },
                format!("cannot import `{path}`: {message}"),
            )
            .hint("scripts may import other scripts inside the policy's folder, e.g. import \"text\" as text;");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_follow_lines_and_characters() {
        let text = "fn a() {\n  让 x\n}\n";
        let p = Position::new(2, 5);
        assert_eq!(&text[offset_of(text, p)..], "x\n}\n");
        assert_eq!(offset_of(text, Position::new(9, 1)), text.len());
    }

    #[test]
    fn definitions_are_found() {
        assert_eq!(defines("fn classify(ticket) {"), Some("classify"));
        assert_eq!(defines("  private fn helper (x)"), Some("helper"));
        assert_eq!(defines("// fn nope"), None);
        assert_eq!(defines("let fnx = 1;"), None);
        assert_eq!(fn_line("\nfn route(t, d) {}\n", "route"), Some(1));
    }
}
