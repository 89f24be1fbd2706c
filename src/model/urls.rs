//! Source URLs as Flux reads them: `scheme://[userinfo@]host[:port]/path`,
//! the scp-like `user@host:path` form Git accepts and Flux does not, where
//! a URL points (Azure DevOps, ACR), and registry prefixes.

/// A URL with a scheme, split into the parts rules look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Url<'a> {
    /// Lower-case as written is not guaranteed; compare with
    /// `eq_ignore_ascii_case`.
    pub scheme: &'a str,
    /// What precedes `@` in the authority (`user` or `user:password`).
    pub userinfo: Option<&'a str>,
    /// The host, without port.
    pub host: &'a str,
    /// From the first `/` after the authority (may be empty).
    pub path: &'a str,
}

impl<'a> Url<'a> {
    /// Splits `scheme://authority/path`; `None` when there is no scheme.
    pub fn parse(url: &'a str) -> Option<Url<'a>> {
        let (scheme, rest) = url.split_once("://")?;
        if scheme.is_empty()
            || !scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        {
            return None;
        }
        let (authority, path) = match rest.find(['/', '?', '#']) {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let host = if hostport.starts_with('[') {
            hostport.find(']').map_or(hostport, |i| &hostport[..=i])
        } else {
            hostport.split_once(':').map_or(hostport, |(h, _)| h)
        };
        Some(Url {
            scheme,
            userinfo,
            host,
            path,
        })
    }

    pub fn is_https(&self) -> bool {
        self.scheme.eq_ignore_ascii_case("https") || self.scheme.eq_ignore_ascii_case("http")
    }

    pub fn is_ssh(&self) -> bool {
        self.scheme.eq_ignore_ascii_case("ssh")
    }

    /// Whether the userinfo carries a secret. Over SSH the user name
    /// (`ssh://git@host`) is not one, a password is; over any other scheme
    /// anything before `@` is (a PAT is often passed as the user name).
    pub fn has_credentials(&self) -> bool {
        match self.userinfo {
            None => false,
            Some(u) if self.is_ssh() => u.contains(':'),
            Some(_) => true,
        }
    }
}

/// The scp-like form `[user@]host:path` that Git accepts and Flux rejects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScpUrl<'a> {
    pub user: Option<&'a str>,
    pub host: &'a str,
    pub path: &'a str,
}

impl<'a> ScpUrl<'a> {
    /// Recognises the scp-like form the way Git does: no `://`, and a `:`
    /// before the first `/`. A bare `host:path` counts only when the host
    /// looks like a host name (has a dot), so `C:/repo` is not one.
    pub fn parse(url: &'a str) -> Option<ScpUrl<'a>> {
        if url.contains("://") || url.chars().any(char::is_whitespace) {
            return None;
        }
        let colon = url.find(':')?;
        if url[..colon].contains('/') {
            return None;
        }
        let (authority, path) = (&url[..colon], &url[colon + 1..]);
        let (user, host) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let plausible_host = !host.is_empty() && (user.is_some() || host.contains('.'));
        if !plausible_host || path.is_empty() || user.is_some_and(str::is_empty) {
            return None;
        }
        Some(ScpUrl { user, host, path })
    }

    /// The `ssh://` form Flux accepts: `ssh://user@host/path`.
    pub fn to_ssh_url(self) -> String {
        let user = self.user.map(|u| format!("{u}@")).unwrap_or_default();
        let path = self.path.strip_prefix('/').unwrap_or(self.path);
        format!("ssh://{user}{}/{path}", self.host)
    }
}

/// `url` with any userinfo replaced by `***`, so that messages can name the
/// URL without repeating a credential.
pub fn mask_credentials(url: &str) -> String {
    let Some((scheme, after)) = url.split_once("://") else {
        return url.to_string();
    };
    // Only an `@` in the authority separates userinfo; the path may hold one.
    let authority_end = after.find(['/', '?', '#']).unwrap_or(after.len());
    match after[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://***@{}", &after[at + 1..]),
        None => url.to_string(),
    }
}

/// An Azure DevOps Git host reached over HTTPS: `dev.azure.com` or an
/// `<org>.visualstudio.com` account.
pub fn is_azure_devops_https(url: &str) -> bool {
    Url::parse(url).is_some_and(|u| u.is_https() && is_azure_devops_host(u.host))
}

pub fn is_azure_devops_host(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    host == "dev.azure.com" || host.ends_with(".visualstudio.com")
}

/// An Azure Container Registry host (public and sovereign clouds).
pub fn is_acr_host(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    [".azurecr.io", ".azurecr.cn", ".azurecr.us"]
        .iter()
        .any(|suffix| host.len() > suffix.len() && host.ends_with(suffix))
}

/// The registry host of an OCI URL (`oci://host/repo`) or of a repository
/// reference without scheme (`host/repo`, as ImageRepository writes it).
pub fn registry_host(reference: &str) -> &str {
    let rest = reference
        .split_once("://")
        .map_or(reference, |(_, rest)| rest);
    let host = rest.split('/').next().unwrap_or(rest);
    host.split_once(':').map_or(host, |(h, _)| h)
}

/// Whether `reference` (`host/path...`) lies under an allowed registry
/// `prefix`: the same host, or a `host/path` prefix ending at a `/`.
pub fn registry_matches(reference: &str, prefix: &str) -> bool {
    let reference = reference
        .split_once("://")
        .map_or(reference, |(_, rest)| rest);
    let prefix = prefix.trim_end_matches('/');
    if prefix.is_empty() {
        return false;
    }
    let Some(rest) = strip_prefix_ignore_case(reference, prefix) else {
        return false;
    };
    rest.is_empty() || rest.starts_with('/') || (!prefix.contains('/') && rest.starts_with(':'))
}

fn strip_prefix_ignore_case<'s>(s: &'s str, prefix: &str) -> Option<&'s str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_urls() {
        let u = Url::parse("https://org:tok@dev.azure.com:443/org/p/_git/r").unwrap();
        assert_eq!(
            (u.scheme, u.userinfo, u.host, u.path),
            ("https", Some("org:tok"), "dev.azure.com", "/org/p/_git/r")
        );
        assert!(u.has_credentials());
        let s = Url::parse("ssh://git@ssh.dev.azure.com/v3/o/p/r").unwrap();
        assert!(!s.has_credentials());
        assert!(Url::parse("git@github.com:o/r").is_none());
    }

    #[test]
    fn recognises_scp_like_urls() {
        let s = ScpUrl::parse("git@ssh.dev.azure.com:v3/org/project/repo").unwrap();
        assert_eq!(
            s.to_ssh_url(),
            "ssh://git@ssh.dev.azure.com/v3/org/project/repo"
        );
        assert_eq!(
            ScpUrl::parse("github.com:/o/r.git").unwrap().to_ssh_url(),
            "ssh://github.com/o/r.git"
        );
        for ok in [
            "ssh://git@github.com/o/r",
            "https://github.com/o/r",
            "C:/repo",
            "./local/path",
            "git@host",
            "${GIT_URL}",
        ] {
            assert!(ScpUrl::parse(ok).is_none(), "{ok}");
        }
    }

    #[test]
    fn masks_userinfo() {
        assert_eq!(
            mask_credentials("https://user:s3cret@dev.azure.com/o/p/_git/r"),
            "https://***@dev.azure.com/o/p/_git/r"
        );
        assert_eq!(
            mask_credentials("https://x@h.io/a@b"),
            "https://***@h.io/a@b"
        );
        assert_eq!(mask_credentials("https://h.io/a"), "https://h.io/a");
    }

    #[test]
    fn classifies_hosts() {
        assert!(is_azure_devops_https("https://dev.azure.com/o/p/_git/r"));
        assert!(is_azure_devops_https(
            "https://org.visualstudio.com/p/_git/r"
        ));
        assert!(!is_azure_devops_https(
            "ssh://git@ssh.dev.azure.com/v3/o/p/r"
        ));
        assert!(!is_azure_devops_https("https://github.com/o/r"));
        assert!(is_acr_host("myacr.azurecr.io"));
        assert!(!is_acr_host("azurecr.io"));
        assert_eq!(
            registry_host("oci://myacr.azurecr.io/charts/x"),
            "myacr.azurecr.io"
        );
        assert_eq!(
            registry_host("myacr.azurecr.io:443/app"),
            "myacr.azurecr.io"
        );
    }

    #[test]
    fn matches_registry_prefixes() {
        assert!(registry_matches(
            "myacr.azurecr.io/fluxcd",
            "myacr.azurecr.io"
        ));
        assert!(registry_matches("myacr.azurecr.io", "myacr.azurecr.io"));
        assert!(registry_matches(
            "myacr.azurecr.io/fluxcd/x",
            "myacr.azurecr.io/fluxcd/"
        ));
        assert!(!registry_matches(
            "myacr.azurecr.io.evil.com/x",
            "myacr.azurecr.io"
        ));
        assert!(!registry_matches(
            "myacr.azurecr.io/fluxcd2",
            "myacr.azurecr.io/fluxcd"
        ));
    }
}
