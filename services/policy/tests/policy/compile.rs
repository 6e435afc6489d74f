use canopy_policy::engine::compile::{self, CompileError, MAX_MODULE_BYTES, ModuleInfo};

#[test]
fn a_valid_module_names_its_package_and_rules() {
    let info = compile::check(
        "package canopy.custom\nimport rego.v1\ndeny contains msg if { some rc in input.plan.resource_changes; rc.type == \"aws_db_instance\"; msg := rc.address }\n",
    )
    .expect("compiles");
    assert_eq!(info, ModuleInfo { package: "data.canopy.custom".to_owned(), has_deny: true, has_warn: false });
    assert_eq!(info.deny_rule().as_deref(), Some("data.canopy.custom.deny"));
    assert_eq!(info.warn_rule(), None);
}

#[test]
fn syntax_errors_carry_line_and_column() {
    let errors =
        compile::check("package canopy.custom\nimport rego.v1\n\ndeny contains \"x\" if { 1 +  }\n").unwrap_err();
    assert_eq!(errors, vec![CompileError { line: 4, column: 29, message: "expecting expression".to_owned() }]);
}

#[test]
fn a_module_without_package_is_refused_at_its_first_line() {
    let errors = compile::check("import rego.v1\ndeny contains \"x\" if true\n").unwrap_err();
    assert_eq!((errors[0].line, errors[0].column), (1, 1));
    assert!(errors[0].message.contains("package"), "{errors:?}");
}

#[test]
fn a_module_needs_a_deny_or_warn_rule() {
    let errors = compile::check("package canopy.custom\nimport rego.v1\n\nallow := true\n").unwrap_err();
    assert_eq!(
        errors,
        vec![CompileError { line: 1, column: 1, message: "a policy needs a `deny` or `warn` rule".to_owned() }]
    );
    let warn_only = compile::check("package p\nimport rego.v1\nwarn contains \"w\" if true\n").expect("warn is enough");
    assert!(warn_only.has_warn && !warn_only.has_deny);
}

#[test]
fn a_package_with_string_components_is_refused() {
    let errors = compile::check("package a[\"b c\"]\nimport rego.v1\ndeny contains \"x\" if true\n").unwrap_err();
    assert!(errors[0].message.starts_with("the package must be dotted names"), "{errors:?}");
}

#[test]
fn an_oversized_module_is_refused_before_parsing() {
    let mut source = String::from("package p\nimport rego.v1\ndeny contains \"x\" if true\n");
    while source.len() <= MAX_MODULE_BYTES {
        source.push_str("# padding padding padding padding padding padding padding padding\n");
    }
    let errors = compile::check(&source).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert!(errors[0].message.contains("the limit is 65536 bytes (64 KiB)"), "{errors:?}");
    // Just under the limit is fine.
    source.truncate(MAX_MODULE_BYTES - 100);
    let cut = source.rfind('\n').unwrap();
    source.truncate(cut + 1);
    compile::check(&source).expect("a module under the limit compiles");
}
