System.Console.WriteLine("macescf");
