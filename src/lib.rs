pub mod business_time;
