pub mod flux;
pub mod kubernetes;
pub mod notation;
