//! JSON patches (RFC 6902), as kustomize applies them: `add`, `remove`,
//! `replace`, `move`, `copy` and `test`, each on a JSON pointer (RFC 6901).
//! An operation on a path that is not there fails the build; the error
//! names the operation so the finding can point at it.

use super::tree::Node;

/// Why an operation failed: its index in the list, and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpError {
    pub index: usize,
    pub message: String,
}

/// Applies every operation of `ops` (a list of `{op, path, value, from}`
/// mappings) to `target`, in order.
pub fn apply(target: &mut Node, ops: &Node) -> Result<(), OpError> {
    if !ops.is_seq() {
        return Err(OpError {
            index: 0,
            message: "a JSON patch is a list of operations".into(),
        });
    }
    for (index, op) in ops.items().iter().enumerate() {
        apply_one(target, op).map_err(|message| OpError { index, message })?;
    }
    Ok(())
}

fn apply_one(target: &mut Node, op: &Node) -> Result<(), String> {
    let name = op.str_at(&["op"]).ok_or("an operation without `op`")?;
    let path = pointer(op.str_at(&["path"]).ok_or("an operation without `path`")?)?;
    let value = || {
        op.get("value")
            .cloned()
            .ok_or(format!("`{name}` needs a `value`"))
    };
    let from = || {
        pointer(
            op.str_at(&["from"])
                .ok_or(format!("`{name}` needs a `from`"))?,
        )
    };
    match name {
        "add" => add(target, &path, value()?),
        "remove" => remove(target, &path).map(drop),
        "replace" => {
            let slot = find_mut(target, &path)?;
            *slot = value()?;
            Ok(())
        }
        "move" => {
            let moved = remove(target, &from()?)?;
            add(target, &path, moved)
        }
        "copy" => {
            let copied = find_mut(target, &from()?)?.clone();
            add(target, &path, copied)
        }
        "test" => {
            let found = find_mut(target, &path)?.to_json();
            if found == value()?.to_json() {
                Ok(())
            } else {
                Err(format!("test failed: `{}` is {found}", show(&path)))
            }
        }
        other => Err(format!("unknown operation `{other}`")),
    }
}

/// The tokens of a JSON pointer (`/a/b~1c` → `a`, `b/c`).
fn pointer(text: &str) -> Result<Vec<String>, String> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = text.strip_prefix('/') else {
        return Err(format!(
            "`{text}` is not a JSON pointer (it must start with `/`)"
        ));
    };
    Ok(rest
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect())
}

fn show(path: &[String]) -> String {
    path.iter().map(|t| format!("/{t}")).collect()
}

fn index_of(token: &str, len: usize, allow_end: bool) -> Option<usize> {
    if token == "-" && allow_end {
        return Some(len);
    }
    let i: usize = token.parse().ok()?;
    let max = if allow_end {
        len
    } else {
        len.saturating_sub(1)
    };
    (i <= max && (allow_end || len > 0)).then_some(i)
}

fn find_mut<'n>(node: &'n mut Node, path: &[String]) -> Result<&'n mut Node, String> {
    let mut here = node;
    for (depth, token) in path.iter().enumerate() {
        let missing = || format!("`{}` does not exist", show(&path[..=depth]));
        here = if here.is_seq() {
            let len = here.items().len();
            let i = index_of(token, len, false).ok_or_else(missing)?;
            &mut here.items_mut()[i]
        } else {
            here.get_mut(token).ok_or_else(missing)?
        };
    }
    Ok(here)
}

fn add(target: &mut Node, path: &[String], value: Node) -> Result<(), String> {
    let Some((last, parent_path)) = path.split_last() else {
        *target = value;
        return Ok(());
    };
    let parent = find_mut(target, parent_path)?;
    if parent.is_seq() {
        let len = parent.items().len();
        let i = index_of(last, len, true)
            .ok_or_else(|| format!("`{}` is out of the list's range", show(path)))?;
        if let super::tree::Value::Seq(items) = &mut parent.value {
            items.insert(i, value);
        }
        return Ok(());
    }
    if !parent.is_map() {
        return Err(format!(
            "`{}` is not a mapping or a list",
            show(parent_path)
        ));
    }
    let origin = value.origin;
    parent.set(last, value, origin);
    Ok(())
}

fn remove(target: &mut Node, path: &[String]) -> Result<Node, String> {
    let Some((last, parent_path)) = path.split_last() else {
        return Err("cannot remove the whole object".into());
    };
    let parent = find_mut(target, parent_path)?;
    let missing = || format!("`{}` does not exist", show(path));
    if parent.is_seq() {
        let len = parent.items().len();
        let i = index_of(last, len, false).ok_or_else(missing)?;
        if let super::tree::Value::Seq(items) = &mut parent.value {
            return Ok(items.remove(i));
        }
    }
    parent.remove(last).ok_or_else(missing)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::tree::parse_tree as tree;

    #[test]
    fn applies_every_operation() {
        let mut t = tree("a: {b: [1, 2]}\nc: x\n");
        let ops = tree("- {op: add, path: /a/b/-, value: 3}\n- {op: add, path: /a/b/0, value: 0}\n- {op: replace, path: /c, value: z}\n- {op: copy, from: /c, path: /d}\n- {op: move, from: /d, path: /e~1f}\n- {op: remove, path: /a/b/1}\n- {op: test, path: /c, value: z}\n");
        apply(&mut t, &ops).unwrap();
        assert_eq!(
            t.to_json(),
            serde_json::json!({"a": {"b": [0, 2, 3]}, "c": "z", "e/f": "z"})
        );
    }

    #[test]
    fn a_missing_path_fails_with_the_operation_index() {
        let mut t = tree("a: 1\n");
        let ops = tree("- {op: add, path: /b, value: 1}\n- {op: replace, path: /x/y, value: 2}\n");
        let err = apply(&mut t, &ops).unwrap_err();
        assert_eq!(err.index, 1);
        assert!(err.message.contains("`/x` does not exist"), "{err:?}");
    }
}
